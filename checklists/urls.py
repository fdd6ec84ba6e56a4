from django.urls import path

from checklists import views

app_name = "checklists"

urlpatterns = [
    path("<str:token>", views.document_download, name="document-download"),
]
