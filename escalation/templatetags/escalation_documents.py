from django import template

from escalation.masking import mask_public

register = template.Library()


@register.filter(name="mask_public")
def mask_public_filter(value: object, keep: str = "") -> str:
    """Mask personal numbers and card keys for a public text; ``keep`` stays visible."""
    return mask_public(str(value or ""), keep=[keep] if keep else [])
