//! [`Pod`]: values that cross the user boundary as plain bytes, and the field-by-field
//! encoding of Linux structs.
//!
//! No transmutes: a Linux struct is written field by field at the offsets
//! `core::mem::offset_of!` gives for the `linux-raw-sys` definition, so the layout is Linux's
//! and never typed by hand (see [`put`] and [`get`]).

/// A value with a fixed little-endian byte encoding in user memory.
pub trait Pod: Sized {
    /// Size in bytes.
    const SIZE: usize;
    /// Write `self` into `out` (exactly `SIZE` bytes).
    fn encode(&self, out: &mut [u8]);
    /// Read a value from `b` (exactly `SIZE` bytes).
    fn decode(b: &[u8]) -> Self;
}

macro_rules! pod_int {
    ($($t:ty)*) => {$(
        impl Pod for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn encode(&self, out: &mut [u8]) {
                out[..Self::SIZE].copy_from_slice(&self.to_le_bytes());
            }
            fn decode(b: &[u8]) -> Self {
                let mut a = [0u8; core::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
pod_int!(u8 i8 u16 i16 u32 i32 u64 i64 usize isize);

impl<const N: usize> Pod for [u8; N] {
    const SIZE: usize = N;
    fn encode(&self, out: &mut [u8]) {
        out[..N].copy_from_slice(self);
    }
    fn decode(b: &[u8]) -> Self {
        let mut a = [0u8; N];
        a.copy_from_slice(&b[..N]);
        a
    }
}

/// Write `v` at byte offset `off` of a struct image (offsets from `core::mem::offset_of!`).
pub fn put<T: Pod>(buf: &mut [u8], off: usize, v: T) {
    v.encode(&mut buf[off..off + T::SIZE]);
}

/// Read a `T` at byte offset `off` of a struct image.
pub fn get<T: Pod>(buf: &[u8], off: usize) -> T {
    T::decode(&buf[off..off + T::SIZE])
}

/// Declare a byte-image newtype for a Linux struct: `linux_struct!(Stat, linux_raw_sys::general::stat)`
/// gives `Stat([u8; size_of::<stat>()])` implementing [`Pod`], with `set`/`get` by field name.
#[macro_export]
macro_rules! linux_struct {
    ($(#[$m:meta])* $name:ident, $ty:ty) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub struct $name(pub [u8; core::mem::size_of::<$ty>()]);
        impl Default for $name {
            fn default() -> Self {
                $name([0u8; core::mem::size_of::<$ty>()])
            }
        }
        impl $crate::Pod for $name {
            const SIZE: usize = core::mem::size_of::<$ty>();
            fn encode(&self, out: &mut [u8]) {
                out[..Self::SIZE].copy_from_slice(&self.0);
            }
            fn decode(b: &[u8]) -> Self {
                let mut a = [0u8; core::mem::size_of::<$ty>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                $name(a)
            }
        }
    };
}

/// `set!(image, linux_type, field, value)`: write a field of a [`linux_struct!`] image.
#[macro_export]
macro_rules! set {
    ($img:expr, $ty:ty, $field:ident, $v:expr) => {
        $crate::put(&mut $img.0, core::mem::offset_of!($ty, $field), $v)
    };
}

/// `field!(image, linux_type, field, T)`: read a field of a [`linux_struct!`] image.
#[macro_export]
macro_rules! field {
    ($img:expr, $ty:ty, $field:ident, $t:ty) => {
        $crate::get::<$t>(&$img.0, core::mem::offset_of!($ty, $field))
    };
}
