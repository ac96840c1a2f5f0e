from django.urls import path

from . import views

app_name = "sessions"
urlpatterns = [
    path("", views.home, name="home"),
    path("settings/", views.settings_page, name="settings"),
    path("<str:code>/visit/<int:visit_id>/open/", views.session_open, name="open"),
    path("<str:code>/<int:pk>/", views.monitor, name="monitor"),
    path("<str:code>/<int:pk>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("<str:code>/<int:pk>/live/", views.live, name="live"),
    path("<str:code>/<int:pk>/do/<str:action>/", views.act, name="act"),
]
