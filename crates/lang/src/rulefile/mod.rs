//! Rule-file reader (in progress).
