from django.urls import include, path

from bench.site.views import ReferenceInsert, ReferenceJson

urlpatterns = [
    path("bench/json", ReferenceJson.as_view()),
    path("bench/insert", ReferenceInsert.as_view()),
    path("", include("leads_project.urls")),
]
