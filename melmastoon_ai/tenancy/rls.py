"""Row-level security for tenant-owned tables: one migration operation, used by every app.

    operations = [
        migrations.CreateModel(name="Thing", ...),
        EnableRowLevelSecurity("Thing"),
    ]

The policy compares `tenant_id` with the transaction-local setting `app.tenant_id`. With the
setting absent or empty nothing is visible and nothing can be written. A second policy opens
the table to the one explicit, audited platform path (`platform_access`), and a model may add
narrow extra policies (the API key lookup by prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import migrations
from django.utils.deconstruct import deconstructible

TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PLATFORM_EXPR = "current_setting('app.platform_access', true) = 'on'"


@deconstructible
@dataclass
class ExtraPolicy:
    name: str
    command: str  # ALL, SELECT, INSERT, UPDATE or DELETE
    using: str


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, extra_policies: tuple[ExtraPolicy, ...] = ()):
        self.model_name = model_name
        self.extra_policies = tuple(extra_policies)

    def deconstruct(self):
        kwargs = {"extra_policies": self.extra_policies} if self.extra_policies else {}
        return (self.__class__.__name__, [self.model_name], kwargs)

    def state_forwards(self, app_label, state):
        """Row-level security lives only in the database; the model state is unchanged."""

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = schema_editor.quote_name(self._table(app_label, to_state))
        name = self._table(app_label, to_state)
        statements = [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f'CREATE POLICY "{name}_tenant_isolation" ON {table} '
            f"USING (tenant_id = {TENANT_EXPR}) WITH CHECK (tenant_id = {TENANT_EXPR})",
            f'CREATE POLICY "{name}_platform_access" ON {table} USING ({PLATFORM_EXPR}) WITH CHECK ({PLATFORM_EXPR})',
        ]
        for policy in self.extra_policies:
            statements.append(
                f'CREATE POLICY "{name}_{policy.name}" ON {table} FOR {policy.command} USING ({policy.using})'
            )
        for statement in statements:
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        name = self._table(app_label, from_state)
        table = schema_editor.quote_name(name)
        for policy in ("tenant_isolation", "platform_access", *(p.name for p in self.extra_policies)):
            schema_editor.execute(f'DROP POLICY IF EXISTS "{name}_{policy}" ON {table}')
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable and force row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.model_name.lower()}"


METRICS_READER_EXPR = "current_setting('app.metrics_reader', true) = 'on'"


class CreateExtraPolicy(migrations.operations.base.Operation):
    """One narrow policy added to a table that already has row-level security (a later need than
    the table's EnableRowLevelSecurity, e.g. the scrape-time metrics reader)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, policy: ExtraPolicy):
        self.model_name = model_name
        self.policy = policy

    def deconstruct(self):
        return (self.__class__.__name__, [self.model_name, self.policy], {})

    def state_forwards(self, app_label, state):
        """Policies live only in the database; the model state is unchanged."""

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        name = self._table(app_label, to_state)
        schema_editor.execute(
            f'CREATE POLICY "{name}_{self.policy.name}" ON {schema_editor.quote_name(name)} '
            f"FOR {self.policy.command} USING ({self.policy.using})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        name = self._table(app_label, from_state)
        schema_editor.execute(f'DROP POLICY IF EXISTS "{name}_{self.policy.name}" ON {schema_editor.quote_name(name)}')

    def describe(self):
        return f"Create the {self.policy.name} policy on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"policy_{self.model_name.lower()}_{self.policy.name}"


def metrics_reader_policy(model_name: str) -> CreateExtraPolicy:
    """SELECT for `tenancy.context.metrics_read_access`: what a /metrics scrape counts, no audit row."""
    return CreateExtraPolicy(model_name, ExtraPolicy("metrics_read", "SELECT", METRICS_READER_EXPR))
