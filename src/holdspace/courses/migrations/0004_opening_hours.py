import datetime

from django.db import migrations, models

import holdspace.courses.models


class Migration(migrations.Migration):
    dependencies = [("courses", "0003_course_closed_with_a_reason")]

    operations = [
        migrations.AddField(
            model_name="coursesettings",
            name="opens_at",
            field=models.TimeField(default=datetime.time(8, 0), verbose_name="opens at"),
        ),
        migrations.AddField(
            model_name="coursesettings",
            name="closes_at",
            field=models.TimeField(
                default=datetime.time(18, 0),
                help_text=(
                    "Visits start within opening hours; a medicine session may run past closing."
                ),
                verbose_name="closes at",
            ),
        ),
        migrations.AddField(
            model_name="coursesettings",
            name="open_weekdays",
            field=models.JSONField(
                default=holdspace.courses.models.all_weekdays, verbose_name="open on"
            ),
        ),
        migrations.AddField(
            model_name="coursesettings",
            name="closed_dates",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Public holidays and other days the clinic is closed.",
                verbose_name="closed days",
            ),
        ),
    ]
