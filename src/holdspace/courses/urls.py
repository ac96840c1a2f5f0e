from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.home, name="home"),
    path("calendar/", views.calendars, name="calendars"),
    path("calendar/therapist/<int:pk>/", views.calendar_therapist, name="calendar_therapist"),
    path("calendar/room/<int:pk>/", views.calendar_room, name="calendar_room"),
    path("calendar/feed/new/", views.feed_create, name="feed_create"),
    path("calendar/feed/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>/calendar.ics", views.ical_feed, name="ical_feed"),
    path("rooms/", views.rooms, name="rooms"),
    path("templates/", views.templates, name="templates"),
    path("templates/clone/", views.template_clone, name="template_clone"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("settings/", views.course_settings, name="course_settings"),
    path("client/<str:code>/", views.course_list, name="course_list"),
    path("client/<str:code>/new/", views.course_create, name="course_create"),
    path("client/<str:code>/<int:pk>/", views.course_detail, name="course_detail"),
    path("client/<str:code>/<int:pk>/accept/", views.course_accept, name="course_accept"),
    path("client/<str:code>/<int:pk>/close/", views.course_close, name="course_close"),
    path(
        "client/<str:code>/<int:pk>/visits/<int:visit_pk>/move/",
        views.visit_move,
        name="visit_move",
    ),
    path(
        "client/<str:code>/<int:pk>/visits/<int:visit_pk>/assign/",
        views.visit_assign,
        name="visit_assign",
    ),
    path(
        "client/<str:code>/<int:pk>/visits/<int:visit_pk>/dose/",
        views.visit_dose,
        name="visit_dose",
    ),
]
