"""Form fields shared by every feature: vocabulary codes, 万元 amounts, percentages."""

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import StopValidation, ValidationError

from fundcrm.domain.money import MoneyError, parse_wan, wan_text
from fundcrm.domain.text import first_illegal
from fundcrm.domain.vocab import Vocabulary
from fundcrm.i18n import current_locale

MONEY_MESSAGES = {
    "not_a_number": _l("Enter an amount in 万元, e.g. 1500 or 1500.5."),
    "negative": _l("Amounts are positive: the type gives the direction."),
    "too_precise": _l("At most 6 decimals in 万元 (one fen)."),
    "too_large": _l("The amount is too large: check the unit (万元)."),
}


class SafeForm(FlaskForm):
    """The base of every form: no field takes text that the database or an export cannot hold.

    A field holding a control character gets that error alone; the other validators (which
    may query the database) run only on a clean form."""

    def validate(self, extra_validators=None):
        unsafe = {field.name: found for field in self if (found := _illegal_in(field))}
        if not unsafe:
            return super().validate(extra_validators)
        for field in self:
            found = unsafe.get(field.name)
            field.errors = [control_character_message(found)] if found else []
        return False


def control_character_message(char: str) -> str:
    return _(
        "This text holds an invisible control character (%(char)s), usually brought by a "
        "paste: remove it and save again.",
        char=char,
    )


def _illegal_in(field) -> str | None:
    return next(filter(None, map(first_illegal, field.raw_data or [])), None)


class VocabField(SelectField):
    """One code of a vocabulary, shown with its label in the user's language."""

    def __init__(self, label=None, vocabulary: Vocabulary | None = None, blank=True, **kwargs):
        super().__init__(label, **kwargs)
        self.vocabulary = vocabulary
        self.blank = blank

    def localized_choices(self):
        choices = self.vocabulary.choices(current_locale())
        return [("", "—"), *choices] if self.blank else choices

    def iter_choices(self):
        self.choices = self.localized_choices()
        return super().iter_choices()

    def process_formdata(self, valuelist):
        self.data = valuelist[0].strip() if valuelist else None
        self.data = self.data or None

    def process_data(self, value):
        self.data = value or None

    def pre_validate(self, form):
        if self.data is None and (self.flags.required or not self.blank):
            raise ValidationError(_l("Choose one of the options."))
        if self.data is not None and self.data not in self.vocabulary:
            raise ValidationError(_l("Unknown code: %(code)s", code=self.data))


class CheckedMultiField(SelectMultipleField):
    """Several choices; a value not offered is refused with a message in the user's language."""

    def pre_validate(self, form):
        offered = {str(value) for value, *_rest in self.choices or []}
        unknown = [str(v) for v in self.data or [] if str(v) not in offered]
        if unknown:
            raise ValidationError(_l("Not one of the choices: %(value)s", value=", ".join(unknown)))


class CheckboxesField(CheckedMultiField):
    """Several choices drawn as check boxes (people, sub-funds)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VocabMultiField(SelectMultipleField):
    """Any number of codes of a vocabulary, as check boxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, vocabulary: Vocabulary | None = None, **kwargs):
        super().__init__(label, **kwargs)
        self.vocabulary = vocabulary

    def iter_choices(self):
        self.choices = self.vocabulary.choices(current_locale())
        return super().iter_choices()

    def process_data(self, value):
        self.data = list(value or [])

    def pre_validate(self, form):
        unknown = [code for code in self.data or [] if code not in self.vocabulary]
        if unknown:
            raise ValidationError(_l("Unknown code: %(code)s", code=", ".join(unknown)))


class WanField(StringField):
    """An amount typed in 万元; `.data` is exact yuan (Decimal) or None."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return wan_text(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        try:
            self.data = parse_wan(valuelist[0])
        except MoneyError as error:
            raise ValueError(str(MONEY_MESSAGES[error.code])) from None

    def pre_validate(self, form):
        _refuse_blank_required(self, MONEY_MESSAGES["not_a_number"])


class PercentField(StringField):
    """A percentage between 0 and 100 as Decimal."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format(self.data.normalize(), "f") if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            value = Decimal(valuelist[0].strip().rstrip("%"))
        except InvalidOperation:
            raise ValueError(str(_l("Enter a percentage, e.g. 20."))) from None
        if not value.is_finite() or not 0 <= value <= 100:
            raise ValueError(str(_l("Enter a percentage between 0 and 100.")))
        self.data = value

    def pre_validate(self, form):
        _refuse_blank_required(self, _l("Enter a percentage, e.g. 20."))


def _refuse_blank_required(field, message) -> None:
    """A required number sent as blanks only: InputRequired sees input, the field no value."""
    if field.flags.required and field.data is None and field.raw_data and not field.process_errors:
        raise StopValidation(str(message))
