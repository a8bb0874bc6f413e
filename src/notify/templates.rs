//! The e-mail templates (minijinja), compiled into the binary.

use minijinja::Environment;

/// The template environment with every e-mail template loaded. HTML templates
/// auto-escape; text templates do not.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    for (name, src) in [
        ("digest.html", include_str!("templates/digest.html.j2")),
        ("digest.txt", include_str!("templates/digest.txt.j2")),
        ("alert.html", include_str!("templates/alert.html.j2")),
        ("alert.txt", include_str!("templates/alert.txt.j2")),
        ("weekly.html", include_str!("templates/weekly.html.j2")),
        ("weekly.txt", include_str!("templates/weekly.txt.j2")),
    ] {
        env.add_template(name, src)
            .expect("templates are valid (tested)");
    }
    env
}
