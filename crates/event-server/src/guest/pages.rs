//! The guest pages' HTML. Every value from the database or the request is escaped
//! with [`esc`]; ids are `[A-Za-z0-9_-]` and go into paths as they are.

use std::fmt::Write as _;

use findme_protocol::{Matcher, MyPhoto};

use super::store::EventPage;
use crate::attendee::escape_html as esc;

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title>\
<link rel=\"stylesheet\" href=\"/static/guest.css\"></head>\
<body><main>{body}</main><script src=\"/static/guest.js\"></script></body></html>",
        esc(title)
    )
}

/// A page with one message (unknown event, withdrawn, expired link…).
pub fn message(title: &str, text: &str) -> String {
    shell(
        title,
        &format!(
            "<h1>{}</h1><p class=\"notice\">{}</p>",
            esc(title),
            esc(text)
        ),
    )
}

/// Who processes the selfie, in the consent text.
fn processor(m: Matcher) -> &'static str {
    match m {
        Matcher::Device => {
            "on the photographer's own computer; it is not sent to any other company"
        }
        Matcher::Rekognition => {
            "by Amazon Web Services (AWS Rekognition) on the photographer's behalf"
        }
    }
}

/// What the registration form shows again after a refusal.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    pub error: Option<String>,
    pub name: String,
}

/// `/e/{event}`: the event, the consent text and the form (or why it is closed).
pub fn registration(ev: &EventPage, form: &FormState, registered: bool) -> String {
    let mut b = format!("<h1>{}</h1>", esc(&ev.name));
    if !ev.intro.is_empty() {
        let _ = write!(b, "<p class=\"intro\">{}</p>", esc(&ev.intro));
    }
    if registered {
        let _ = write!(
            b,
            "<p class=\"notice\">You are registered. <a href=\"/e/{}/me\">See your photos</a></p>",
            ev.id
        );
    }
    if !ev.open {
        b.push_str(
            "<p class=\"notice\" role=\"status\">Registration for this event is closed. \
Please ask the photographer.</p>",
        );
        return shell(&ev.name, &b);
    }
    let retention = match ev.retention_days {
        0 => "when the event closes".to_string(),
        1 => "one day after the event closes".to_string(),
        n => format!("{n} days after the event closes"),
    };
    let _ = write!(
        b,
        "<form id=\"register\" method=\"post\" action=\"/e/{id}/register\" enctype=\"multipart/form-data\">\
<p class=\"error\" role=\"alert\" id=\"form-error\"{hidden}>{error}</p>\
<label for=\"name\">Name</label>\
<input id=\"name\" name=\"name\" type=\"text\" required maxlength=\"80\" autocomplete=\"name\" value=\"{name}\">\
<label for=\"selfie\">Your selfie</label>\
<input id=\"selfie\" name=\"selfie\" type=\"file\" accept=\"image/*\" capture=\"user\">\
<p class=\"hint\">A clear photo of your face, looking at the camera.</p>",
        id = ev.id,
        hidden = if form.error.is_some() { "" } else { " hidden" },
        error = esc(form.error.as_deref().unwrap_or("")),
        name = esc(&form.name),
    );
    if ev.code.is_some() {
        b.push_str(
            "<label for=\"code\">Event code</label>\
<input id=\"code\" name=\"code\" type=\"text\" autocomplete=\"off\" autocapitalize=\"characters\">\
<p class=\"hint\">It is printed under the QR code.</p>",
        );
    }
    let _ = write!(
        b,
        "<section class=\"consent\"><h2>What happens with your selfie</h2>\
<p>From your selfie a face template (numbers describing your face) is made {who}. \
It is used only to find you in the photos of {event}, so that you can see them here.</p>\
<p>Your selfie and face template are deleted {retention}, or as soon as you choose \
\"Delete my data\" on your photos page.</p></section>\
<label class=\"check\"><input id=\"consent\" name=\"consent\" type=\"checkbox\" value=\"yes\"> \
I agree that my selfie is used this way to find me in this event's photos.</label>\
<button type=\"submit\">Find my photos</button></form>",
        who = processor(ev.matcher),
        event = esc(&ev.name),
    );
    shell(&ev.name, &b)
}

/// Grid and full-size paths of a guest's photo.
pub fn image_path(event: &str, sha: &str, grid: bool) -> String {
    if grid {
        format!("/e/{event}/me/img/{sha}?size=grid")
    } else {
        format!("/e/{event}/me/img/{sha}")
    }
}

/// One tile of the grid (the script renders the same markup for new photos).
fn tile(event: &str, p: &MyPhoto) -> String {
    let alt = match &p.captured_at {
        Some(t) => format!("Photo taken {t}"),
        None => "Photo".to_string(),
    };
    format!(
        "<a class=\"tile\" href=\"{full}\" data-sha=\"{sha}\"><img src=\"{grid}\" alt=\"{alt}\" loading=\"lazy\"></a>",
        full = image_path(event, &p.sha256, false),
        grid = image_path(event, &p.sha256, true),
        sha = p.sha256,
        alt = esc(&alt),
    )
}

/// `/e/{event}/me`: the guest's photos, newest first.
pub fn my_photos(event: &str, event_name: &str, guest: &str, photos: &[MyPhoto]) -> String {
    let mut b = format!(
        "<header><h1>{}</h1><p>Hello {}</p></header>\
<p class=\"empty\" id=\"empty\"{}>Your photos appear here as the photographer finds you, \
usually within a minute. You can keep this page open: new photos appear by themselves.</p>\
<div class=\"grid\" data-testid=\"my-photos\" id=\"grid\" data-event=\"{event}\">",
        esc(event_name),
        esc(guest),
        if photos.is_empty() { "" } else { " hidden" },
    );
    for p in photos {
        b.push_str(&tile(event, p));
    }
    let _ = write!(
        b,
        "</div>\
<p class=\"actions\" id=\"actions\"{actions_hidden}><a id=\"download-all\" class=\"button\" href=\"/e/{event}/me/photos.zip\" download>Download all</a></p>\
<div id=\"viewer\" class=\"viewer\" hidden><img id=\"viewer-image\" alt=\"\">\
<div class=\"viewer-bar\"><button type=\"button\" id=\"viewer-prev\">Previous</button>\
<a id=\"viewer-download\" class=\"button\" href=\"\" download>Download</a>\
<button type=\"button\" id=\"viewer-next\">Next</button>\
<button type=\"button\" id=\"viewer-close\">Close</button></div></div>\
<details class=\"link\"><summary>Open your photos on another device</summary>\
<p class=\"hint\">Keep your personal link: it opens this page on any phone or computer. \
Anyone with it sees your photos.</p>\
<form method=\"post\" action=\"/e/{event}/me/link\" id=\"link-form\"><button type=\"submit\">Show my personal link</button></form>\
<p><output id=\"link\"></output></p></details>\
<form method=\"post\" action=\"/e/{event}/me/withdraw\" class=\"withdraw\">\
<button type=\"submit\" class=\"danger\">Delete my data</button></form>",
        actions_hidden = if photos.is_empty() { " hidden" } else { "" },
    );
    shell(event_name, &b)
}

/// The confirmation before withdrawal (also without script).
pub fn confirm_withdraw(event: &str, event_name: &str) -> String {
    shell(
        event_name,
        &format!(
            "<h1>Delete your data?</h1>\
<p>Your selfie and the face template made from it are deleted now, you are removed from \
{name}'s guest list, and the photographer's app deletes everything it found of you. \
You will no longer see your photos here.</p>\
<form method=\"post\" action=\"/e/{event}/me/withdraw\">\
<input type=\"hidden\" name=\"confirm\" value=\"yes\">\
<button type=\"submit\" class=\"danger\">Yes, delete my data</button></form>\
<p><a href=\"/e/{event}/me\">No, keep my photos</a></p>",
            name = esc(event_name),
        ),
    )
}

/// The personal link, shown once (without script).
pub fn personal_link(event_name: &str, link: &str) -> String {
    shell(
        event_name,
        &format!(
            "<h1>Your personal link</h1><p>Open it on another device to see your photos there. \
Keep it to yourself: anyone with it sees your photos.</p><p><output id=\"link\">{}</output></p>",
            esc(link)
        ),
    )
}
