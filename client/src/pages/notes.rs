//! The notes list (with the form to add one) and a single note.

use jotpass_shared::{Note, NoteRequest};
use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};

use crate::{
    api::{ApiError, AuthedApi},
    components::{Alert, PostForm, Submit, failure, when_loaded},
    routes::{NOTE_ID, Page},
    session::{authed, use_auth},
};

#[component]
pub(crate) fn NotesPage() -> impl IntoView {
    let auth = use_auth();
    let notes = LocalResource::new(move || authed(auth, AuthedApi::notes));
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let add = Action::new_unsync(move |req: &NoteRequest| {
        let req = req.clone();
        async move {
            let note = authed(auth, move |api| api.create_note(req.clone())).await?;
            title.set(String::new());
            body.set(String::new());
            notes.refetch();
            Ok::<Note, ApiError>(note)
        }
    });
    let add_error = failure(add);

    view! {
        <section class="card">
            <h1>"Notes"</h1>
            <PostForm action=Page::Notes.href() class="note-form" on_submit=move || {
                add.dispatch(NoteRequest { title: title.get_untracked(), body: body.get_untracked() });
            }>
                <NoteFields title body rows=3/>
                <Alert message=add_error/>
                <Submit label="Add note" busy=add.pending()/>
            </PostForm>
            {when_loaded(notes, move |list| if list.is_empty() {
                view! { <p class="empty">"No notes yet. Add your first one above."</p> }.into_any()
            } else {
                view! {
                    <ul class="notes">
                        {list.into_iter().map(|n| view! {
                            <li>
                                <A href=Page::Note(n.id).href()>{n.title}</A>
                                <span class="meta">"Updated "<time datetime=n.updated_at.clone()>{n.updated_at.replace('T', " ").replace('Z', " UTC")}</time></span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

/// A note's title and body inputs, shared by the add and edit forms.
#[component]
fn NoteFields(title: RwSignal<String>, body: RwSignal<String>, rows: u32) -> impl IntoView {
    view! {
        <label for="title">"Title"</label>
        <input id="title" name="title" type="text" required maxlength="200"
            prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/>
        <label for="body">"Body"</label>
        <textarea id="body" name="body" rows=rows
            prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea>
    }
}

#[component]
pub(crate) fn NotePage() -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let params = use_params_map();
    let id = move || params.read().get(NOTE_ID).unwrap_or_default();
    let note = LocalResource::new(move || {
        let id = id();
        authed(auth, move |api| api.note(id.clone()))
    });
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(n)) = note.get() {
            title.set(n.title);
            body.set(n.body);
        }
    });
    let saved = RwSignal::new(None::<String>);
    let save = Action::new_unsync(move |req: &NoteRequest| {
        let (req, id) = (req.clone(), id());
        async move {
            authed(auth, move |api| api.update_note(id.clone(), req.clone())).await?;
            saved.set(Some("Saved.".to_owned()));
            Ok::<(), ApiError>(())
        }
    });
    let delete = Action::new_unsync(move |_: &()| {
        let id = id();
        let navigate = navigate.clone();
        async move {
            authed(auth, move |api| api.delete_note(id.clone())).await?;
            navigate(&Page::Notes.href(), Default::default());
            Ok::<(), ApiError>(())
        }
    });
    let (save_failed, delete_failed) = (failure(save), failure(delete));
    let error = Signal::derive(move || save_failed.get().or_else(|| delete_failed.get()));

    view! {
        <section class="card">
            <p><A href=Page::Notes.href()>"← All notes"</A></p>
            {when_loaded(note, move |_| view! {
                    <PostForm action=Page::Note(id()).href() class="note-form" on_submit=move || {
                        saved.set(None);
                        save.dispatch(NoteRequest { title: title.get_untracked(), body: body.get_untracked() });
                    }>
                        <NoteFields title body rows=10/>
                        <Alert message=error/>
                        <p role="status" class="status">{move || saved.get()}</p>
                        <div class="actions">
                            <Submit label="Save" busy=save.pending()/>
                            <button type="button" class="danger" on:click=move |_| { delete.dispatch(()); }>"Delete"</button>
                        </div>
                    </PostForm>
            })}
        </section>
    }
}
