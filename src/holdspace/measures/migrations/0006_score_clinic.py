"""Score.clinic: the client's clinic, copied onto each score, so that a clinic's newest scores
are read from an index of that clinic's alone (measures.selectors.recent_scores_visible_to)
rather than by reading the whole network's newest scores and keeping the clinic's.

Added empty and without its foreign-key constraint, then backfilled from the clients in one
UPDATE (a correlated subquery, so it runs on PostgreSQL and SQLite alike): with the constraint
already in place PostgreSQL would queue one deferred check for each of millions of rows.
0007 then makes the column required, adds the constraint (checked in one scan) and the index.
From now on Score.save() fills it and the bulk loaders set it.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Score = apps.get_model("measures", "Score")
    Client = apps.get_model("people", "Client")
    clinic = Client.objects.filter(pk=OuterRef("client_id")).values("clinic_id")[:1]
    Score.objects.update(clinic_id=Subquery(clinic))


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0005_score_client_covering_index"),
        ("people", "0005_client_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="score",
            name="clinic",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="people.clinic",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
