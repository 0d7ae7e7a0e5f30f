"""Two-factor sign-in: authenticator apps (TOTP, django-otp), passkeys (WebAuthn,
django-otp-webauthn) and one-time recovery codes (stored hashed), required for staff before any
back-office page and optional for portal users. See docs/twofactor.md.

Never weakens a sign-in: nothing here lets a session past the second step without a factor the
user owns, and nothing stores a recovery code in clear.
"""
