"""Visit label, "why" and "needs" shown in each viewer's language.

The columns keep their names (label, why, needs) and their English text; the message ids and
parameters behind them go into the new `phrases` column. The renames touch Python only.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_initial")]

    operations = [
        migrations.RenameField("visit", "label", "label_stored"),
        migrations.AlterField(
            "visit",
            "label_stored",
            models.CharField(db_column="label", max_length=200, verbose_name="label"),
        ),
        migrations.RenameField("visit", "why", "why_stored"),
        migrations.AlterField(
            "visit",
            "why_stored",
            models.CharField(db_column="why", max_length=300, verbose_name="why this date"),
        ),
        migrations.RenameField("visit", "needs", "needs_stored"),
        migrations.AlterField(
            "visit",
            "needs_stored",
            models.CharField(
                blank=True, db_column="needs", max_length=300, verbose_name="what it needs"
            ),
        ),
        migrations.AddField("visit", "phrases", models.JSONField(blank=True, default=dict)),
    ]
