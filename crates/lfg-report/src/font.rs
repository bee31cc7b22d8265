//! The embedded chart font.
//!
//! DejaVu Sans (Bitstream Vera / DejaVu licence, see `assets/DejaVuSans-LICENSE.txt`) is
//! compiled into the binary and registered with plotters' `ab_glyph` text backend under the
//! family name `sans-serif`, so chart text renders identically on a machine with no fonts and
//! no fontconfig/freetype (plotters is built without its `ttf` feature).

use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::ReportError;

/// The font file, as shipped in `assets/`.
pub const DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The font's licence text.
pub const DEJAVU_LICENSE: &str = include_str!("../assets/DejaVuSans-LICENSE.txt");

/// Register the embedded font (idempotent; cheap after the first call).
pub fn ensure_fonts() -> Result<(), ReportError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        [FontStyle::Normal, FontStyle::Bold]
            .into_iter()
            .all(|style| plotters::style::register_font("sans-serif", style, DEJAVU_SANS).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font {
            name: "assets/DejaVuSans.ttf",
        })
    }
}
