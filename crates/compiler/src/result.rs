//! Load results in Falco's model: per file, errors and warnings with a code, a message and
//! a *context* — a chain of locations from the file down to the offending item, key or
//! condition position (rules-file.md §8–§10). The CLI renders them as Falco's JSON or text,
//! or as falcoc's own located diagnostics.

use falcoc_lang::Span;

/// Falco's load-result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Code {
    LoadErrFileRead,
    LoadErrYamlParse,
    LoadErrYamlValidate,
    LoadErrCompileCondition,
    LoadErrCompileOutput,
    LoadErrValidate,
    LoadErrExtension,
    LoadUnknownSource,
    LoadUnsafeNaCheck,
    LoadNoEvttype,
    LoadUnknownFilter,
    LoadUnusedMacro,
    LoadUnusedList,
    LoadUnknownItem,
    LoadDeprecatedItem,
    LoadWarningExtension,
    LoadAppendNoValues,
    LoadExceptionNameNotUnique,
    LoadInvalidMacroName,
    LoadInvalidListName,
    LoadCompileCondition,
    LoadUnknownKey,
}

impl Code {
    /// Every code.
    pub const ALL: [Code; 22] = [
        Code::LoadErrFileRead,
        Code::LoadErrYamlParse,
        Code::LoadErrYamlValidate,
        Code::LoadErrCompileCondition,
        Code::LoadErrCompileOutput,
        Code::LoadErrValidate,
        Code::LoadErrExtension,
        Code::LoadUnknownSource,
        Code::LoadUnsafeNaCheck,
        Code::LoadNoEvttype,
        Code::LoadUnknownFilter,
        Code::LoadUnusedMacro,
        Code::LoadUnusedList,
        Code::LoadUnknownItem,
        Code::LoadDeprecatedItem,
        Code::LoadWarningExtension,
        Code::LoadAppendNoValues,
        Code::LoadExceptionNameNotUnique,
        Code::LoadInvalidMacroName,
        Code::LoadInvalidListName,
        Code::LoadCompileCondition,
        Code::LoadUnknownKey,
    ];

    /// The code as Falco prints it, e.g. `LOAD_ERR_YAML_PARSE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::LoadErrFileRead => "LOAD_ERR_FILE_READ",
            Code::LoadErrYamlParse => "LOAD_ERR_YAML_PARSE",
            Code::LoadErrYamlValidate => "LOAD_ERR_YAML_VALIDATE",
            Code::LoadErrCompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            Code::LoadErrCompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            Code::LoadErrValidate => "LOAD_ERR_VALIDATE",
            Code::LoadErrExtension => "LOAD_ERR_EXTENSION",
            Code::LoadUnknownSource => "LOAD_UNKNOWN_SOURCE",
            Code::LoadUnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            Code::LoadNoEvttype => "LOAD_NO_EVTTYPE",
            Code::LoadUnknownFilter => "LOAD_UNKNOWN_FILTER",
            Code::LoadUnusedMacro => "LOAD_UNUSED_MACRO",
            Code::LoadUnusedList => "LOAD_UNUSED_LIST",
            Code::LoadUnknownItem => "LOAD_UNKNOWN_ITEM",
            Code::LoadDeprecatedItem => "LOAD_DEPRECATED_ITEM",
            Code::LoadWarningExtension => "LOAD_WARNING_EXTENSION",
            Code::LoadAppendNoValues => "LOAD_APPEND_NO_VALUES",
            Code::LoadExceptionNameNotUnique => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            Code::LoadInvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            Code::LoadInvalidListName => "LOAD_INVALID_LIST_NAME",
            Code::LoadCompileCondition => "LOAD_COMPILE_CONDITION",
            Code::LoadUnknownKey => "LOAD_UNKNOWN_KEY",
        }
    }

    /// Errors stop a file; warnings do not.
    pub fn is_error(self) -> bool {
        self.as_str().starts_with("LOAD_ERR_")
    }

    /// The short name Falco's text output shows, e.g. `Error compiling condition`.
    pub fn short_name(self) -> &'static str {
        match self {
            Code::LoadErrFileRead => "File read error",
            Code::LoadErrYamlParse => "YAML parse error",
            Code::LoadErrYamlValidate => "Error validating internal structure of YAML file",
            Code::LoadErrCompileCondition => "Error compiling condition",
            Code::LoadErrCompileOutput => "Error compiling output",
            Code::LoadErrValidate => "Error validating rule/macro/list/exception objects",
            Code::LoadErrExtension => "Error in extension item",
            Code::LoadUnknownSource => "Unknown event source",
            Code::LoadUnsafeNaCheck => "Unsafe <NA> comparison in condition",
            Code::LoadNoEvttype => "Condition has no event-type restriction",
            Code::LoadUnknownFilter => "Unknown field or event-type in condition or output",
            Code::LoadUnusedMacro => "Unused macro",
            Code::LoadUnusedList => "Unused list",
            Code::LoadUnknownItem => "Unknown rules file item",
            Code::LoadDeprecatedItem => "Used deprecated item",
            Code::LoadWarningExtension => "Warning in extension item",
            Code::LoadAppendNoValues => "Overriding/appending with no values",
            Code::LoadExceptionNameNotUnique => "Multiple exceptions defined with the same name",
            Code::LoadInvalidMacroName => "Invalid macro name",
            Code::LoadInvalidListName => "Invalid list name",
            Code::LoadCompileCondition => "Warning in rule condition",
            Code::LoadUnknownKey => "Unknown key in item definition",
        }
    }

    /// What Falco's JSON prints as `codedesc`: the short name for errors, a sentence for
    /// warnings. (Texts checked against Falco 0.42.1 output where it printed them; those of
    /// the never-seen codes are our wording.)
    pub fn codedesc(self) -> &'static str {
        match self {
            Code::LoadUnknownSource => "A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored.",
            Code::LoadUnsafeNaCheck => "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
            Code::LoadNoEvttype => "A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition.",
            Code::LoadUnknownFilter => "A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning.",
            Code::LoadUnusedMacro => "A macro is defined in the rules content but is not used by any other macro or rule.",
            Code::LoadUnusedList => "A list is defined in the rules content but is not used by any other list, macro, or rule.",
            Code::LoadUnknownItem => "An unknown top-level object is in the rules content. It will be ignored.",
            Code::LoadDeprecatedItem => "A deprecated item is employed by lists, macros, or rules.",
            Code::LoadWarningExtension => "An extension item has a warning",
            Code::LoadAppendNoValues => "A rule exception is overriding/appending with no values",
            Code::LoadExceptionNameNotUnique => "Multiple exceptions with the same name are defined for a rule",
            Code::LoadInvalidMacroName => "A macro is defined with an invalid name",
            Code::LoadInvalidListName => "A list is defined with an invalid name",
            Code::LoadCompileCondition => "A rule condition or output have been parsed with a warning",
            Code::LoadUnknownKey => "An unknown key is used in an item",
            other => other.short_name(),
        }
    }
}

/// A yaml-cpp style position: 0-based line and column, 0-based byte offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// File name as given, or for a condition expression `"<first 17 chars>..."`.
    pub name: String,
    /// 0-based line (for a condition expression: the sum described in rules-file.md §9).
    pub line: u64,
    /// 0-based column (likewise).
    pub column: u64,
    /// Byte offset (likewise).
    pub offset: u64,
}

/// One step of a context chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// `rules content`, `rule`, `rule condition`, `condition expression`, `value for` …
    pub item_type: String,
    /// The item's name (empty when it has none).
    pub item_name: String,
    /// Where.
    pub position: Position,
}

/// One error or warning of a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadMessage {
    /// Falco's code.
    pub code: Code,
    /// Falco's message.
    pub message: String,
    /// The context chain, outermost first.
    pub locations: Vec<Location>,
    /// Falco's two-line snippet (text line + caret line), each ending with `\n`.
    pub snippet: String,
    /// For deprecated-field warnings: the field.
    pub deprecated_field: Option<String>,
    /// The exact place in the source files (file index, byte span), for falcoc's own
    /// located diagnostics; `None` when there is none.
    pub span: Option<(usize, Span)>,
}

/// The result of loading one file (cumulatively, after the files before it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileResult {
    /// File name as given.
    pub name: String,
    /// Errors (Falco stops a file at its first error, so 0 or 1 in Falco mode).
    pub errors: Vec<LoadMessage>,
    /// Warnings.
    pub warnings: Vec<LoadMessage>,
}

impl FileResult {
    /// No errors.
    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }
}
