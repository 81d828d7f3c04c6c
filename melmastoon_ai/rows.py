"""Insert the rows of one change in one round trip to PostgreSQL.

The persist phase of a request writes five kinds of row (inference record, usage fact, routing
decision, outbox events, ledger); through the ORM that is five INSERTs, each compiled, sent and
answered on its own. `insert_rows` compiles each model's rows with Django's own insert compiler
(so field preparation, defaults and `pre_save` are Django's) and sends them as one
multi-statement query: Django's psycopg 3 cursors bind parameters client-side, which allows
several statements in one `execute`. Rows go in the order given (a row referenced by a foreign
key first; Django's foreign keys are deferred to commit anyway). No model signals are sent and
no primary key is read back: callers give rows whose keys they set themselves (UUIDs), or whose
database-assigned keys they never use.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from django.db import connection
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField
from django.db.models.sql import InsertQuery

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def _insert_statements(model: type[Model], rows: list[Model]) -> list[tuple[str, tuple]]:
    fields = [
        field
        for field in model._meta.local_concrete_fields
        if not (isinstance(field, _AUTO) and all(getattr(row, field.attname) is None for row in rows))
    ]
    query = InsertQuery(model)
    query.insert_values(fields, rows)
    return query.get_compiler(connection=connection).as_sql()


def insert_rows(rows: Iterable[Model]) -> None:
    """INSERT every row, consecutive rows of a model as one statement, all in one round trip."""
    statements: list[str] = []
    parameters: list[object] = []
    for model, group in groupby(rows, key=type):
        for sql, params in _insert_statements(model, list(group)):
            statements.append(sql)
            parameters.extend(params)
    if not statements:
        return
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(statements), parameters)
