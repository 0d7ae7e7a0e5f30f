from django.urls import path

from paydesk.documents import views

app_name = "documents"

urlpatterns = [
    path("payments/<str:reference>/receipt.pdf", views.receipt, name="receipt"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/export.csv", views.invoices_csv, name="invoices_csv"),
    path("invoices/<str:code>.pdf", views.download, name="download"),
]
