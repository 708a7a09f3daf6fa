//! Links the kernel with its own linker script (PVH note, boot section at 1 MiB, higher half).
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/linker.ld");
    println!("cargo:rerun-if-changed={dir}/linker.ld");
}
