from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("jobs/", views.jobs, name="jobs"),
    path("settings/", views.settings_update, name="settings"),
    path("settings/rekey/", views.rekey, name="rekey"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/files/<str:name>", views.download, name="download"),
]
