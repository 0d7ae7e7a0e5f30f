"""The portal's bank-transfer pages, under /transfers/ (namespace `banktransfers`)."""

from django.urls import path

from paydesk.banktransfers import views

app_name = "banktransfers"

urlpatterns = [
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/proof", views.proof_upload, name="proof_upload"),
    path("<str:reference>/proofs/<int:proof_id>", views.proof_download, name="proof_download"),
    path("<str:reference>/cancel", views.cancel, name="cancel"),
]
