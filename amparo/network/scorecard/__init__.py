"""The backsliding scorecard: signals from the records (`providers`, `feeds`), the provider
interface (`registry`), plain readings and flag rules (`readings`) and the one computation every
page, API answer, review and command shows (`compute`)."""
