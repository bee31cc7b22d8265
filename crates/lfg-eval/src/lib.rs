//! lfg-eval
