from django.urls import path

from . import views

app_name = "integration"
urlpatterns = [
    path("<str:code>/", views.integration, name="integration"),
    path("<str:code>/check-ins/", views.check_in, name="check_in"),
    path("<str:code>/notes/<int:pk>/", views.note, name="note"),
    path("<str:code>/notes/<int:pk>/sign/", views.note_sign, name="note_sign"),
    path("<str:code>/notes/<int:pk>/addendum/", views.note_addendum, name="note_addendum"),
]
