"""Make Payment in the portal: the page, its live-quote JSON, resuming an unfinished checkout, the
return from a gateway and the status of a gateway payment (namespace `checkout`)."""

from django.urls import path

from paydesk.checkout import razorpay_views, status_views, views

app_name = "checkout"

urlpatterns = [
    path("", views.make_payment, name="make_payment"),
    path("quote", views.quote_json, name="quote"),
    path("resume/<str:reference>/", status_views.resume, name="resume"),
    path("return/<str:reference>/", status_views.gateway_return, name="return"),
    path("status/<str:reference>/", status_views.payment_status, name="status"),
    path("razorpay/<str:reference>/", razorpay_views.razorpay_checkout, name="razorpay"),
]
