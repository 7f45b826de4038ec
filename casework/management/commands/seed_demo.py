from django.core.management.base import BaseCommand

from casework.demo import seed_demo


class Command(BaseCommand):
    help = "Load demo platforms, users and cases (idempotent) and print the demo logins."

    def handle(self, *args: object, **options: object) -> None:
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo logins (portal: email; admin: username):"))
        for login in logins:
            self.stdout.write(
                f"  {login.email:<22} {login.username:<10} {login.password:<20} {login.role}"
            )
