"""SQL written once from the models' own names, for the few statements a spike runs so often
that the ORM's building them anew for every request would be most of their cost (a petition's
signature, a budget's ballot, a conversation's vote, the taking part each records).

    table(Model, "t")              "budgets_ballot" t
    column(Model, "field", "t")    t."budget_id"
    written_fields(Model)          the fields an INSERT writes (all but the primary key)
    insert_new(instance)           INSERT ... ON CONFLICT DO NOTHING RETURNING the new id

Only the models' own table and column names, quoted by the database's rules, go into a
statement's text; every value is a parameter. The statements run on PostgreSQL and on SQLite
(`make run`), which both have `ON CONFLICT` and `RETURNING`.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models


def table(model: type[models.Model], alias: str = "") -> str:
    """The model's table, quoted, with an alias if given."""
    name = connection.ops.quote_name(model._meta.db_table)
    return f"{name} {alias}" if alias else name


def column(model: type[models.Model], field: str, alias: str = "") -> str:
    """A field's column (a foreign key's `_id` column), quoted, after `alias.` if given."""
    name = connection.ops.quote_name(model._meta.get_field(field).column)
    return f"{alias}.{name}" if alias else name


def written_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields an INSERT of the model writes: every concrete one but its primary key."""
    return [field for field in model._meta.concrete_fields if not field.primary_key]


@functools.cache
def _insert_sql(model: type[models.Model], vendor: str, conflict: tuple[str, ...]) -> str:
    fields = written_fields(model)
    held = [field.name for field in fields if field.db_default is not models.NOT_PROVIDED]
    if held:
        raise ImproperlyConfigured(
            f"civic.sqltext.insert_new writes every field of {model.__name__}; "
            f"{', '.join(held)} would need the database's default"
        )
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    marks = ", ".join("%s" for _field in fields)
    target = f"({', '.join(column(model, name) for name in conflict)}) " if conflict else ""
    return (
        f"INSERT INTO {table(model)} ({columns}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT {target}DO NOTHING RETURNING {column(model, model._meta.pk.name)}"
    )


def insert_new(instance: models.Model, *, conflict: tuple[str, ...] = ()) -> bool:
    """Insert the unsaved `instance`, or nothing where a unique constraint already holds a row
    like it: on the fields named in `conflict`, or on any unique constraint when none are named.
    One statement, with no savepoint and no error to recover from, where the ORM's `create`
    inside `atomic()` and `except IntegrityError` takes three and logs an error in the database.
    True, with the instance's primary key set, if it was inserted; False if a row was there
    (committed by another transaction, which this one waits for if it is still open)."""
    model = type(instance)
    fields = written_fields(model)
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, connection.vendor, conflict), values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return True
