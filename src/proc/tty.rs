//! Naming a controlling terminal from its device number, using the kernel's
//! list of tty drivers in `/proc/tty/drivers` (as `ps` does): `pts/3`,
//! `tty1`, `ttyS0`, `console`.

/// One driver line: `/dev/pts 136 0-1048575`.
#[derive(Debug, Clone)]
struct Driver {
    path: String,
    major: u32,
    minors: (u32, u32),
}

/// The tty drivers of this system.
#[derive(Debug, Clone, Default)]
pub struct Ttys {
    drivers: Vec<Driver>,
}

impl Ttys {
    pub fn read() -> Ttys {
        std::fs::read_to_string("/proc/tty/drivers")
            .map(|text| Ttys::parse(&text))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> Ttys {
        let drivers = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace().skip(1);
                let path = fields.next()?.to_string();
                let major = fields.next()?.parse().ok()?;
                let range = fields.next()?;
                let minors = match range.split_once('-') {
                    Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
                    None => {
                        let n = range.parse().ok()?;
                        (n, n)
                    }
                };
                Some(Driver {
                    path,
                    major,
                    minors,
                })
            })
            .collect();
        Ttys { drivers }
    }

    /// The name of the terminal with device number `tty_nr` (from `stat`),
    /// or `None` for "no controlling terminal".
    pub fn name(&self, tty_nr: u32) -> Option<String> {
        if tty_nr == 0 {
            return None;
        }
        // Linux's dev_t encoding in stat: major in bits 8-19, minor in 0-7 and
        // 20-31.
        let major = (tty_nr >> 8) & 0xfff;
        let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
        let driver = self
            .drivers
            .iter()
            .find(|d| d.major == major && (d.minors.0..=d.minors.1).contains(&minor));
        let Some(driver) = driver else {
            return Some(format!("{major}:{minor}"));
        };
        let base = driver.path.strip_prefix("/dev/").unwrap_or(&driver.path);
        Some(if driver.path == "/dev/pts" {
            format!("pts/{minor}")
        } else if driver.minors.0 == driver.minors.1 {
            base.to_string()
        } else {
            format!(
                "{base}{}",
                minor - driver.minors.0 + u32::from(driver.minors.0 == 1)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRIVERS: &str = "/dev/tty             /dev/tty        5       0 system:/dev/tty\n/dev/console         /dev/console    5       1 system:console\nserial               /dev/ttyS       4      64-111 serial\npty_slave            /dev/pts      136 0-1048575 pty:slave\nunknown              /dev/tty        4 1-63 console\n";

    #[test]
    fn names_terminals() {
        let ttys = Ttys::parse(DRIVERS);
        assert_eq!(ttys.name(0), None);
        assert_eq!(ttys.name((136 << 8) | 3), Some("pts/3".into()));
        // minor 300 = 0x12c: low byte 0x2c, high bits shifted by 12
        assert_eq!(
            ttys.name((136 << 8) | 0x2c | (0x100 << 12)),
            Some("pts/300".into())
        );
        assert_eq!(ttys.name((4 << 8) | 1), Some("tty1".into()));
        assert_eq!(ttys.name((4 << 8) | 64), Some("ttyS0".into()));
        assert_eq!(ttys.name((5 << 8) | 1), Some("console".into()));
        assert_eq!(ttys.name((250 << 8) | 1), Some("250:1".into()));
    }
}
