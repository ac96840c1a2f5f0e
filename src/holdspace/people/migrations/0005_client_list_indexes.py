"""Indexes for the client list at network scale.

`(clinic, code)` serves the list's filter and sort. Name and code search is `icontains`, which
Django writes as `UPPER(col) LIKE UPPER('%word%')`: no B-tree helps there, so on PostgreSQL
trigram GIN indexes over `UPPER(col)` do (pg_trgm). SQLite has no trigram index; it scans,
which is fine at the size of a SQLite installation.
"""

from django.db import migrations, models

TRIGRAM_INDEXES = [
    ("people_clientidentity", "given_name", "people_identity_given_trgm"),
    ("people_clientidentity", "family_name", "people_identity_family_trgm"),
    ("people_client", "code", "people_client_code_trgm"),
]


def trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_study_roles"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["clinic", "code"], name="people_client_clinic_code"),
        ),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
