//! `commands!`: the window's command surface declared once. Each entry is a command's signature
//! and body; from the one list come the `#[tauri::command]` functions, the `invoke_handler`
//! registration and the typed TypeScript client (`ui/src/bindings/commands.ts`), so a command,
//! its registration and its call can no longer disagree.
//!
//! An entry: `fn name[context](arguments) -> Answer { body }`, or `async fn` for a command that
//! must run off the window's thread (key derivation, dialogs, re-encryption). The context names
//! what the shell injects (`state`, `app`, `window`); only the arguments cross from the webview.
//! Every body returns `IpcResult<Answer>`.

use std::collections::BTreeMap;

use ts_rs::{Config, TS, TypeVisitor};

macro_rules! commands {
    (@munch [$($spec:tt)*]) => {
        /// Every command, for `invoke_handler`.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            commands!(@handler $($spec)*)
        }

        /// The TypeScript client of every command, typed by ts-rs.
        #[cfg(test)]
        pub fn typescript() -> String {
            commands!(@typescript $($spec)*)
        }
    };
    (@munch [$($spec:tt)*]
        $(#[doc = $doc:literal])*
        async fn $name:ident [$($ctx:ident),*] ($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        #[tauri::command]
        pub async fn $name($($ctx: commands!(@context $ctx),)* $($arg: $ty),*) -> $crate::dto::IpcResult<$ret> $body
        commands!(@munch [$($spec)* ($name [$($doc)*] ($($arg: $ty),*) -> $ret)] $($rest)*);
    };
    (@munch [$($spec:tt)*]
        $(#[doc = $doc:literal])*
        fn $name:ident [$($ctx:ident),*] ($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        #[tauri::command]
        pub fn $name($($ctx: commands!(@context $ctx),)* $($arg: $ty),*) -> $crate::dto::IpcResult<$ret> $body
        commands!(@munch [$($spec)* ($name [$($doc)*] ($($arg: $ty),*) -> $ret)] $($rest)*);
    };

    (@context state) => { tauri::State<'_, $crate::commands::AppState> };
    (@context app) => { tauri::AppHandle };
    (@context window) => { tauri::WebviewWindow };

    (@handler $(($name:ident [$($doc:literal)*] $args:tt -> $ret:ty))*) => {
        tauri::generate_handler![$($name),*]
    };
    (@typescript $(($name:ident [$($doc:literal)*] ($($arg:ident : $ty:ty),*) -> $ret:ty))*) => {{
        let cfg = ts_rs::Config::from_env();
        let mut client = $crate::ipc_macro::Client::default();
        $(
            client.command(
                stringify!($name),
                &[$($doc),*],
                vec![$((stringify!($arg), $crate::ipc_macro::ts_type::<$ty>(&cfg))),*],
                $crate::ipc_macro::ts_type::<$ret>(&cfg),
            );
        )*
        client.finish()
    }};

    // The entry (last: it would match the internal rules too).
    ($($items:tt)*) => { commands!(@munch [] $($items)*); };
}

pub(crate) use commands;

/// A type as TypeScript names it, and the generated files it needs imported.
#[cfg_attr(not(test), allow(dead_code))]
pub struct TsType {
    name: String,
    imports: BTreeMap<String, String>,
}

#[cfg_attr(not(test), allow(dead_code))]
pub fn ts_type<T: TS + 'static>(cfg: &Config) -> TsType {
    let mut imports = BTreeMap::new();
    collect_imports::<T>(cfg, &mut imports);
    TsType {
        name: T::name(cfg),
        imports,
    }
}

/// The exported types a type is written with: itself, and its type arguments (`Vec<Prompt>`
/// needs `Prompt`).
fn collect_imports<T: TS + 'static + ?Sized>(cfg: &Config, out: &mut BTreeMap<String, String>) {
    struct Generics<'a>(&'a Config, &'a mut BTreeMap<String, String>);
    impl TypeVisitor for Generics<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            collect_imports::<U>(self.0, self.1);
        }
    }
    if let Some(path) = T::output_path() {
        let module = path.with_extension("");
        out.insert(
            T::ident(cfg),
            format!("./{}", module.to_string_lossy().replace('\\', "/")),
        );
    }
    T::visit_generics(&mut Generics(cfg, out));
}

/// The TypeScript client, built one command at a time.
#[derive(Default)]
#[cfg_attr(not(test), allow(dead_code))]
pub struct Client {
    imports: BTreeMap<String, String>,
    methods: Vec<String>,
    names: Vec<&'static str>,
}

#[cfg_attr(not(test), allow(dead_code))]
impl Client {
    pub fn command(
        &mut self,
        name: &'static str,
        doc: &[&str],
        args: Vec<(&'static str, TsType)>,
        answer: TsType,
    ) {
        assert!(
            !self.names.contains(&name),
            "the command {name} is declared twice"
        );
        self.names.push(name);
        let mut m = String::new();
        let doc: Vec<&str> = doc.iter().map(|d| d.trim()).collect();
        if !doc.is_empty() {
            m.push_str(&format!("  /** {} */\n", doc.join(" ")));
        }
        let params: Vec<String> = args
            .iter()
            .map(|(a, t)| format!("{}: {}", camel(a), t.name))
            .collect();
        let answer_name = if answer.name == "null" {
            "void".to_owned()
        } else {
            answer.name.clone()
        };
        let passed = if args.is_empty() {
            String::new()
        } else {
            let keys: Vec<String> = args.iter().map(|(a, _)| camel(a)).collect();
            format!(", {{ {} }}", keys.join(", "))
        };
        m.push_str(&format!(
            "  {}: ({}) => call<{}>(\"{}\"{}),\n",
            camel(name),
            params.join(", "),
            answer_name,
            name,
            passed
        ));
        self.methods.push(m);
        for t in args.iter().map(|(_, t)| t).chain([&answer]) {
            self.imports
                .extend(t.imports.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }

    pub fn finish(self) -> String {
        let mut out = String::from(
            "// Generated from src-tauri/src/ipc.rs by `cargo test -p safeguard-desk`: do not edit.\n\
             // Every command the shell registers, with the types ts-rs generates for it.\n\
             import { call } from \"../lib/ipc\";\n",
        );
        for (name, path) in &self.imports {
            out.push_str(&format!("import type {{ {name} }} from \"{path}\";\n"));
        }
        out.push_str("\nexport const commands = {\n");
        for m in &self.methods {
            out.push_str(m);
        }
        out.push_str("};\n");
        out
    }
}

/// Tauri passes arguments by their camelCase names.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_cross_in_camel_case() {
        assert_eq!(camel("pupil_id"), "pupilId");
        assert_eq!(camel("include_resolved"), "includeResolved");
        assert_eq!(camel("text"), "text");
    }

    #[test]
    fn a_list_of_an_exported_type_imports_that_type() {
        let cfg = Config::from_env();
        let t = ts_type::<Vec<safeguard_core::prompts::Prompt>>(&cfg);
        assert_eq!(t.name, "Array<Prompt>");
        assert_eq!(
            t.imports.get("Prompt").map(String::as_str),
            Some("./Prompt")
        );
        let t = ts_type::<Option<safeguard_core::session::Draft>>(&cfg);
        assert_eq!(t.name, "Draft | null");
        assert!(t.imports.contains_key("Draft"));
        assert!(ts_type::<String>(&cfg).imports.is_empty());
    }
}
