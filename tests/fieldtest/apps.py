from django.apps import AppConfig


class FieldTestConfig(AppConfig):
    """A model exercising the encrypted fields; installed by config.test_settings only."""

    name = "tests.fieldtest"
    label = "fieldtest"
    default_auto_field = "django.db.models.BigAutoField"
