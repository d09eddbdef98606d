//! The standard UniFFI bindgen binary, built from the same uniffi version as the core so the generated
//! Kotlin and Swift bindings always match the scaffolding compiled into `linkage-core`.
fn main() {
    uniffi::uniffi_bindgen_main()
}
