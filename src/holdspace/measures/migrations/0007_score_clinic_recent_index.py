"""Score.clinic required, with its foreign key, and the index of a clinic's newest scores in
place of the network's (see 0006). On the 50,000-client network (2.2 million scores) on the
bench machine (PostgreSQL 15, load average 4 to 5): 0006's backfill 99 s, this one 25 s; writes
to the scores table wait meanwhile. Run `VACUUM ANALYZE measures_score` after (the UPDATE left
a dead copy of every row)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("measures", "0006_score_clinic")]

    operations = [
        migrations.AlterField(
            model_name="score",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="people.clinic",
            ),
        ),
        migrations.RemoveIndex(model_name="score", name="measures_sc_observe_155516_idx"),
        migrations.AddIndex(
            model_name="score",
            index=models.Index(
                fields=["clinic", "-observed_on", "-id"], name="measures_score_clinic_recent"
            ),
        ),
    ]
