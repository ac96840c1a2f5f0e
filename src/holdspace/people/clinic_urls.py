from django.urls import path

from . import views

app_name = "clinic"
urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("settings/", views.clinic_settings, name="clinic_settings"),
]
