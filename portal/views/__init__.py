"""Portal pages: check the input, call a service, render. Rules live in the services."""
