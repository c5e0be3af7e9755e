//! Messages in Bahasa Indonesia (the default) and English.

use rekam_device::ErrorKind;

/// The language of messages: the office's own type, so the station file and the office file
/// accept the same spellings.
pub use rekam_service::Lang;

/// Whether `port` names a USB device (VID:PID) rather than a serial port.
fn is_usb(port: &str) -> bool {
    port.parse::<rekam_device::Selector>()
        .is_ok_and(|s| matches!(s, rekam_device::Selector::Usb { .. }))
        || port.contains("usb ")
}

/// What to check, for an error of `kind` on the device at `port`.
pub fn hint(lang: Lang, kind: ErrorKind, port: &str) -> String {
    if is_usb(port) {
        if let Some((id, en)) = usb_hint(kind, port) {
            return match lang {
                Lang::Id => id,
                Lang::En => en,
            };
        }
    }
    let (id, en) = match kind {
        ErrorKind::NotFound => (
            format!("Perangkat tidak ditemukan di {port}. Periksa kabel USB dan jalur port di konfigurasi."),
            format!("No device at {port}. Check the USB cable and the port path in the configuration."),
        ),
        ErrorKind::Busy => (
            format!("Port {port} sedang dipakai program lain. Tutup program itu, lalu coba lagi."),
            format!("The port {port} is in use by another program. Close it and try again."),
        ),
        ErrorKind::PermissionDenied => (
            format!("Akses ke {port} ditolak. Tambahkan pengguna stasiun ke grup 'dialout', lalu masuk ulang."),
            format!("Access to {port} was denied. Add the station user to the 'dialout' group, then log in again."),
        ),
        ErrorKind::Disconnected => (
            "Sambungan ke perangkat terputus. Periksa kabel, sambungkan kembali, lalu ulangi.".to_string(),
            "The device was disconnected. Check the cable, reconnect it and try again.".to_string(),
        ),
        ErrorKind::Timeout => (
            "Perangkat tidak menjawab. Periksa daya, kabel, dan kecepatan baud di konfigurasi.".to_string(),
            "The device does not answer. Check its power, the cable and the baud rate in the configuration.".to_string(),
        ),
        ErrorKind::Protocol => (
            "Data dari perangkat rusak. Periksa kabel dan kecepatan baud di konfigurasi.".to_string(),
            "The device's data arrives damaged. Check the cable and the baud rate in the configuration.".to_string(),
        ),
        ErrorKind::WrongPassword => (
            "Kata sandi modul ditolak. Sesuaikan 'password' di bagian perangkat pada konfigurasi.".to_string(),
            "The module refused the password. Set 'password' in the device's table of the configuration.".to_string(),
        ),
        ErrorKind::WrongAddress => (
            "Alamat modul berbeda dengan konfigurasi. Sesuaikan 'address' di bagian perangkat.".to_string(),
            "The module answers from another address. Set 'address' in the device's table.".to_string(),
        ),
        ErrorKind::DeviceFailure => (
            "Perangkat melaporkan kerusakan. Bersihkan sensor; jika berulang, hubungi teknisi untuk penggantian.".to_string(),
            "The device reports a fault. Clean the sensor; if it persists, have the device replaced.".to_string(),
        ),
        ErrorKind::NoPresentation => (
            "Tidak ada jari atau tanda tangan dalam batas waktu. Minta pemohon mengulang.".to_string(),
            "Nothing was presented before the deadline. Ask the person to try again.".to_string(),
        ),
        ErrorKind::InvalidInput => (
            "Nilai konfigurasi tidak sah. Perbaiki kunci yang disebut dalam pesan.".to_string(),
            "A configuration value is not valid. Correct the key named in the message.".to_string(),
        ),
        ErrorKind::Unsupported => (
            "Perangkat ini tidak mendukung fungsi tersebut.".to_string(),
            "This device does not offer that function.".to_string(),
        ),
        _ => (
            "Kesalahan masukan/keluaran sistem. Periksa perangkat dan coba lagi.".to_string(),
            "An operating-system input/output error. Check the device and try again.".to_string(),
        ),
    };
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

/// Hints that differ for USB devices (no port path, no baud rate, udev instead of dialout).
fn usb_hint(kind: ErrorKind, port: &str) -> Option<(String, String)> {
    Some(match kind {
        ErrorKind::NotFound => (
            format!("Perangkat USB {port} tidak ditemukan. Periksa kabel USB dan VID:PID di konfigurasi (lihat `lsusb`)."),
            format!("No USB device {port}. Check the USB cable and the VID:PID in the configuration (see `lsusb`)."),
        ),
        ErrorKind::PermissionDenied => (
            format!("Akses ke perangkat USB {port} ditolak. Pasang aturan udev docs/udev/70-rekam-iris.rules dan tambahkan pengguna stasiun ke grup 'plugdev'."),
            format!("Access to the USB device {port} was denied. Install the udev rule docs/udev/70-rekam-iris.rules and add the station user to the 'plugdev' group."),
        ),
        ErrorKind::Busy => (
            format!("Perangkat USB {port} sedang dipakai program lain atau sedang merekam. Tutup program lain, lalu coba lagi."),
            format!("The USB device {port} is held by another program or busy capturing. Close other programs and try again."),
        ),
        ErrorKind::Timeout | ErrorKind::Protocol => (
            "Perangkat USB tidak menjawab dengan benar. Cabut dan pasang lagi kabelnya, atau coba port USB lain.".to_string(),
            "The USB device does not answer properly. Unplug and replug it, or try another USB port.".to_string(),
        ),
        _ => return None,
    })
}

/// What to check, for an error of `kind` on the device of configuration table `table` at
/// `port`: cameras have their own hints where they differ from serial devices.
pub fn hint_for(lang: Lang, table: &str, kind: ErrorKind, port: &str) -> String {
    if table != "camera" {
        return hint(lang, kind, port);
    }
    let (id, en) = match kind {
        ErrorKind::NotFound => (
            format!("Kamera tidak ditemukan di {port}. Periksa kabel USB kamera; `rekam diag` menampilkan kamera yang terlihat."),
            format!("No camera at {port}. Check the camera's USB cable; `rekam diag` lists the cameras this machine sees."),
        ),
        ErrorKind::Busy => (
            format!("Kamera {port} sedang dipakai program lain (peramban, panggilan video). Tutup program itu, lalu coba lagi."),
            format!("The camera {port} is in use by another program (a browser, a video call). Close it and try again."),
        ),
        ErrorKind::PermissionDenied => (
            format!("Akses ke kamera {port} ditolak. Tambahkan pengguna stasiun ke grup 'video', lalu masuk ulang."),
            format!("Access to the camera {port} was denied. Add the station user to the 'video' group, then log in again."),
        ),
        ErrorKind::Timeout => (
            "Kamera tidak mengirim gambar. Cabut dan pasang lagi kameranya; jika masih gagal, coba port USB atau kabel lain.".to_string(),
            "The camera sends no pictures. Unplug it and plug it back in; if that does not help, try another USB port or cable.".to_string(),
        ),
        ErrorKind::Protocol => (
            "Gambar dari kamera rusak. Periksa kabel USB dan pasang kamera langsung ke komputer, bukan lewat hub.".to_string(),
            "The camera's pictures arrive damaged. Check the USB cable and plug the camera directly into the computer, not through a hub.".to_string(),
        ),
        _ => return hint(lang, kind, port),
    };
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_hint_in_both_languages() {
        for k in [
            ErrorKind::NotFound,
            ErrorKind::Busy,
            ErrorKind::PermissionDenied,
            ErrorKind::Disconnected,
            ErrorKind::Timeout,
            ErrorKind::Protocol,
            ErrorKind::WrongPassword,
            ErrorKind::WrongAddress,
            ErrorKind::DeviceFailure,
            ErrorKind::NoPresentation,
            ErrorKind::InvalidInput,
            ErrorKind::Unsupported,
            ErrorKind::Io,
        ] {
            let id = hint(Lang::Id, k, "/dev/x");
            let en = hint(Lang::En, k, "/dev/x");
            assert!(!id.is_empty() && !en.is_empty() && id != en, "{k}");
        }
        assert!(hint(Lang::Id, ErrorKind::PermissionDenied, "/dev/x").contains("dialout"));
        assert!(hint(Lang::En, ErrorKind::PermissionDenied, "1209:0001").contains("udev"));
        assert!(!hint(Lang::En, ErrorKind::Timeout, "1209:0001").contains("baud"));
        assert!(hint_for(
            Lang::En,
            "camera",
            ErrorKind::PermissionDenied,
            "/dev/video0"
        )
        .contains("'video' group"));
        assert_eq!(
            hint_for(Lang::En, "fingerprint", ErrorKind::Busy, "/dev/ttyUSB0"),
            hint(Lang::En, ErrorKind::Busy, "/dev/ttyUSB0")
        );
    }
}
