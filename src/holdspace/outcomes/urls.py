from django.urls import path

from . import views

app_name = "outcomes"
urlpatterns = [
    path("", views.home, name="home"),
    path("report.pdf", views.cohort_pdf, name="cohort_pdf"),
    path("plots/", views.cohort_plots, name="cohort_plots"),
    path("clients/<str:code>/difference/", views.difference, name="difference"),
]
