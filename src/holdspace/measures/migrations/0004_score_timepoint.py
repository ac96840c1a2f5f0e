"""Score.timepoint: the response's assignment's timepoint, stored on the score.

Backfilled here from the existing responses in one UPDATE (a correlated subquery, so it
runs on PostgreSQL and SQLite alike); from now on measures.services._score_store copies it.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Score = apps.get_model("measures", "Score")
    Response = apps.get_model("measures", "Response")
    responses = Response.objects.filter(pk=OuterRef("response_id"))
    timepoint = responses.values("assignment__timepoint")[:1]
    # Only scores whose response has an assignment: the rest keep the blank default.
    scheduled = Score.objects.filter(response__assignment__isnull=False)
    scheduled.update(timepoint=Subquery(timepoint))


class Migration(migrations.Migration):
    dependencies = [("measures", "0003_score_recent_index")]

    operations = [
        migrations.AddField(
            model_name="score",
            name="timepoint",
            field=models.CharField(blank=True, default="", max_length=80),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
