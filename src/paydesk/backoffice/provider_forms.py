"""Forms of the provider settings pages: one credential set of one gateway, the mode, the brand."""

from __future__ import annotations

from typing import Any

from django import forms

from paydesk.gateways.credentials import GatewayCredentials
from paydesk.text import multi_line, single_line

LOGO_HELP = (
    "PNG or SVG, at most 256 KB. An SVG with a script, an event handler or an outside link is "
    "refused."
)


def _lower_first(label: str) -> str:
    """'Secret key' → 'secret key', 'API base' stays (an acronym)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


class CredentialSetForm(forms.Form):
    """The test or the live set of one gateway: an empty field keeps what is stored; a stored
    value also gets a *Remove* box."""

    def __init__(
        self,
        entry: GatewayCredentials,
        mode: str,
        *args: Any,
        stored: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", f"{entry.gateway}-{mode}")
        super().__init__(*args, **kwargs)
        self.entry = entry
        for field in entry.fields:
            widget = (
                forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
                if field.secret
                else forms.TextInput(attrs={"autocomplete": "off"})
            )
            self.fields[field.setting] = forms.CharField(
                label=field.label,
                required=False,
                strip=True,
                widget=widget,
                max_length=2000,
                help_text="Type a value to store it here; left empty, nothing changes.",
                validators=[single_line],
            )
            if field.setting in stored:
                self.fields[f"clear_{field.setting}"] = forms.BooleanField(
                    label=f"Remove the stored {_lower_first(field.label)}", required=False
                )

    def values(self) -> dict[str, str]:
        return {f.setting: self.cleaned_data.get(f.setting) or "" for f in self.entry.fields}

    def cleared(self) -> list[str]:
        return [f.setting for f in self.entry.fields if self.cleaned_data.get(f"clear_{f.setting}")]


class ModeForm(forms.Form):
    mode = forms.ChoiceField(
        label="Mode", choices=[("test", "Test"), ("live", "Live")], widget=forms.RadioSelect
    )


class BrandForm(forms.Form):
    name = forms.CharField(
        label="Provider name",
        required=False,
        max_length=80,
        help_text="Shown in the portal's header and in every email. Empty: PAYDESK_PROVIDER_NAME.",
        validators=[single_line],
    )
    primary_colour = forms.CharField(
        label="Primary colour",
        required=False,
        max_length=7,
        help_text="Six hexadecimal digits, e.g. #1f4f8f. White text on it must reach WCAG AA "
        "contrast (4.5:1).",
    )
    logo = forms.FileField(label="Logo", required=False, help_text=LOGO_HELP)
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    support_email = forms.EmailField(label="Support email", required=False)
    support_phone = forms.CharField(
        label="Support phone", required=False, max_length=40, validators=[single_line]
    )
    legal_footer = forms.CharField(
        label="Legal footer",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Company name, registration number, address: under every page and email.",
        validators=[multi_line],
    )
