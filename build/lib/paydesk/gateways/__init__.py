"""Payment gateways: one package per gateway, each turning Paydesk's requests into the gateway's
calls and the gateway's answers into Paydesk's events (see base.py). A gateway never imports a
model and never saves anything: paydesk.checkout.services applies what it returns.
"""
