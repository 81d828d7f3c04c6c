"""`migrate` runs as the owner role (the `migrations` database alias) unless told otherwise.

The application role holds only DML grants and could not create a table; running Django's
stock command against it would record migrations as applied without applying them.
"""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand


class Command(DjangoMigrateCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database="migrations")
