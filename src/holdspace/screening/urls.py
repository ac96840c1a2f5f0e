from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.screening_index, name="index"),
    path("rules/", views.rules_list, name="rules"),
    path("rules/override/", views.rule_override, name="rule_override"),
    path("rules/setting/", views.setting_override, name="setting_override"),
    path("<str:code>/", views.screening_detail, name="detail"),
    path("<str:code>/decision/", views.decision_sign, name="decision_sign"),
    path("<str:code>/medical/", views.medical_history, name="medical"),
    path("<str:code>/psychiatric/", views.psychiatric_history, name="psychiatric"),
    path("<str:code>/vitals/", views.vitals, name="vitals"),
    path("<str:code>/medications/", views.medications, name="medications"),
    path("<str:code>/medications/<int:pk>/", views.medication_update, name="medication_update"),
    path("<str:code>/experiences/", views.experiences, name="experiences"),
]
