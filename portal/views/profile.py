"""The complainant's profile: real name, phone, postal address, preferred language."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from complaints.errors import InvalidInput
from complaints.models import Profile
from complaints.services import profile_update
from portal.accounts import language_apply
from portal.forms import (
    ProfileForm,
)
from portal.views.common import signed_in_user


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    profile = Profile.objects.filter(user=user).first() or Profile(
        user=user, preferred_language=translation.get_language()
    )
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile_update(
                    user=user, **{name: form.cleaned_data[name] for name in form.Meta.fields}
                )
            except InvalidInput as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error))
            else:
                language = form.cleaned_data["preferred_language"]
                with translation.override(language):
                    messages.success(request, _("Profile saved."))
                return language_apply(redirect("portal:profile"), language)
        return render(request, "portal/profile.html", {"form": form}, status=400)
    return render(request, "portal/profile.html", {"form": form})
