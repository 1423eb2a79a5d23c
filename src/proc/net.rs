//! Sockets by inode, from the kernel's socket tables in `/proc/PID/net/`
//! (`tcp`, `tcp6`, `udp`, `udp6`, `unix`): the tables of the process's own
//! network namespace, which `/proc/net` (ptool's namespace) would not show.
//!
//! An open socket appears in `/proc/PID/fd` only as `socket:[INODE]`; the
//! tables give its protocol, addresses and state. Addresses in the inet
//! tables are the kernel's in-memory words printed with `%08X`: each 32-bit
//! word is in host byte order, so on a little-endian machine `0100007F` is
//! 127.0.0.1. Ports are printed as plain numbers in hex.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// The tables ptool reads, most common first, so a lookup can stop early.
pub const TABLES: [Protocol; 5] = [
    Protocol::Tcp,
    Protocol::Tcp6,
    Protocol::Udp,
    Protocol::Udp6,
    Protocol::Unix,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Tcp6,
    Udp,
    Udp6,
    Unix,
}

impl Protocol {
    /// The table's file name below `/proc/PID/net/`, and the protocol's name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Tcp6 => "tcp6",
            Protocol::Udp => "udp",
            Protocol::Udp6 => "udp6",
            Protocol::Unix => "unix",
        }
    }
}

/// One socket as its table describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// `tcp`, `udp6`, `unix`, ... or, for sockets in no table, the
    /// lower-cased name sockfs gives (`netlink`, `packet`).
    pub protocol: String,
    /// `127.0.0.1:8080`, `[::1]:53`; for Unix sockets the path (`@name` for
    /// an abstract one), if bound. Raw bytes: a Unix path is untrusted.
    pub local: Option<Vec<u8>>,
    /// The peer address, when connected (inet only).
    pub remote: Option<String>,
    /// `LISTEN`, `ESTABLISHED`, ... (`CONNECTED` / `UNCONNECTED` for Unix
    /// sockets); `None` for an unconnected UDP socket, which has no state.
    pub state: Option<&'static str>,
    /// For Unix sockets: `stream`, `dgram` or `seqpacket`.
    pub kind: Option<&'static str>,
}

/// TCP states, by the number the tables print (include/net/tcp_states.h).
fn tcp_state(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "ESTABLISHED",
        0x02 => "SYN_SENT",
        0x03 => "SYN_RECV",
        0x04 => "FIN_WAIT1",
        0x05 => "FIN_WAIT2",
        0x06 => "TIME_WAIT",
        0x07 => "CLOSE",
        0x08 => "CLOSE_WAIT",
        0x09 => "LAST_ACK",
        0x0A => "LISTEN",
        0x0B => "CLOSING",
        0x0C => "NEW_SYN_RECV",
        _ => return None,
    })
}

/// Add the sockets of one table to `out` (inode → socket). Malformed lines
/// are skipped.
pub fn parse_table(protocol: Protocol, text: &[u8], out: &mut HashMap<u64, Socket>) {
    for line in text.split(|&b| b == b'\n').skip(1) {
        let parsed = match protocol {
            Protocol::Unix => parse_unix_line(line),
            _ => std::str::from_utf8(line)
                .ok()
                .and_then(|line| parse_inet_line(protocol, line)),
        };
        if let Some((inode, socket)) = parsed {
            // Inode 0 is a socket being torn down: it names nothing.
            if inode != 0 {
                out.insert(inode, socket);
            }
        }
    }
}

/// `sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...`
fn parse_inet_line(protocol: Protocol, line: &str) -> Option<(u64, Socket)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let local = parse_address(fields.get(1)?)?;
    let remote = parse_address(fields.get(2)?)?;
    let code = u8::from_str_radix(fields.get(3)?, 16).ok()?;
    let inode: u64 = fields.get(9)?.parse().ok()?;
    let is_udp = matches!(protocol, Protocol::Udp | Protocol::Udp6);
    // UDP reuses TCP's numbers: 1 is a connected socket, 7 an unconnected
    // one, which has no state worth naming.
    let state = match (is_udp, code) {
        (true, 0x01) => Some("ESTABLISHED"),
        (true, _) => None,
        (false, code) => tcp_state(code),
    };
    let unspecified = remote.ip().is_unspecified() && remote.port() == 0;
    Some((
        inode,
        Socket {
            protocol: protocol.name().to_string(),
            local: Some(local.to_string().into_bytes()),
            remote: (!unspecified).then(|| remote.to_string()),
            state,
            kind: None,
        },
    ))
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6).
pub fn parse_address(text: &str) -> Option<SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = addr.get(i * 8..i * 8 + 8)?;
        // The word is printed from its host-order value; its bytes in memory
        // are the address bytes in network order.
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    match addr.len() {
        8 => Some(SocketAddr::new(Ipv4Addr::from(word(0)?).into(), port)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            let ip = Ipv6Addr::from(bytes);
            // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d;
            // keep it in that form, as ss and lsof do.
            Some(SocketAddr::new(ip.into(), port))
        }
        _ => None,
    }
}

/// `Num: RefCount Protocol Flags Type St Inode[ Path]`, printed by
/// `unix_seq_show` as `%pK: %08X %08X %08X %04X %02X %5lu`, then one space
/// and the path when bound. The path is raw bytes and may hold spaces.
fn parse_unix_line(line: &[u8]) -> Option<(u64, Socket)> {
    let hex = |b: &[u8]| u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok();
    let (_num, rest) = token(line)?;
    let (_refs, rest) = token(rest)?;
    let (_protocol, rest) = token(rest)?;
    let (flags, rest) = token(rest)?;
    let (kind, rest) = token(rest)?;
    let (st, rest) = token(rest)?;
    let (inode, rest) = token(rest)?;
    let flags = hex(flags)?;
    let kind = match hex(kind)? {
        1 => "stream",
        2 => "dgram",
        5 => "seqpacket",
        _ => "other",
    };
    let inode: u64 = std::str::from_utf8(inode).ok()?.parse().ok()?;
    let path = rest.strip_prefix(b" ").filter(|p| !p.is_empty());
    // __SO_ACCEPTCON (include/linux/net.h): a listening socket.
    const ACCEPTCON: u32 = 1 << 16;
    let state = if flags & ACCEPTCON != 0 {
        "LISTEN"
    } else {
        // socket_state (include/uapi/linux/net.h)
        match hex(st)? {
            1 => "UNCONNECTED",
            2 => "CONNECTING",
            3 => "CONNECTED",
            4 => "DISCONNECTING",
            _ => "FREE",
        }
    };
    Some((
        inode,
        Socket {
            protocol: Protocol::Unix.name().to_string(),
            local: path.map(<[u8]>::to_vec),
            remote: None,
            state: Some(state),
            kind: Some(kind),
        },
    ))
}

/// The next space-separated token of `text` and what follows it.
fn token(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = text.iter().position(|&b| b != b' ')?;
    let text = &text[start..];
    let end = text.iter().position(|&b| b == b' ').unwrap_or(text.len());
    Some(text.split_at(end))
}

/// The sockets of one process's network namespace, read table by table
/// until every inode asked for is found.
pub fn resolve(reader: &mut super::Reader, pid: i32, inodes: &[u64]) -> HashMap<u64, Socket> {
    let mut found = HashMap::new();
    let mut table = HashMap::new();
    for protocol in TABLES {
        if inodes.iter().all(|i| found.contains_key(i)) {
            break;
        }
        let Ok(text) = reader.file(pid, &format!("net/{}", protocol.name())) else {
            continue;
        };
        table.clear();
        parse_table(protocol, &text, &mut table);
        for inode in inodes {
            if let Some(socket) = table.remove(inode) {
                found.insert(*inode, socket);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1\n   2: 0100007F:D432 0100007F:1F90 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0000000000000000\n";

    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0\n   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000200000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 5252 1\n";

    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6161 2 0000000000000000 0\n  101: 0100007F:A000 0101A8C0:0035 01 00000000:00000000 00:00000000 00000000     0        0 6262 2 0000000000000000 0\n";

    const UNIX: &str = "Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 7171 /run/my app.sock\n0000000000000000: 00000003 00000000 00000000 0001 03 7272\n0000000000000000: 00000002 00000000 00000000 0002 01 7373 @abstract\n0000000000000000: 00000002 00000000 00000000 0005 03 7474 \n";

    fn table(protocol: Protocol, text: &str) -> HashMap<u64, Socket> {
        let mut out = HashMap::new();
        parse_table(protocol, text.as_bytes(), &mut out);
        out
    }

    #[test]
    fn tcp_addresses_are_little_endian_words() {
        let t = table(Protocol::Tcp, TCP);
        assert_eq!(t.len(), 2, "inode 0 is skipped");
        let listen = &t[&4242];
        assert_eq!(listen.local.as_deref(), Some(&b"127.0.0.1:8080"[..]));
        assert_eq!(listen.remote, None);
        assert_eq!(listen.state, Some("LISTEN"));
        let conn = &t[&4343];
        assert_eq!(conn.local.as_deref(), Some(&b"127.0.0.1:54321"[..]));
        assert_eq!(conn.remote.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(conn.state, Some("ESTABLISHED"));
        assert_eq!(conn.protocol, "tcp");
    }

    #[test]
    fn tcp6_addresses() {
        let t = table(Protocol::Tcp6, TCP6);
        assert_eq!(t[&5151].local.as_deref(), Some(&b"[::1]:53"[..]));
        assert_eq!(t[&5151].state, Some("LISTEN"));
        assert_eq!(
            t[&5252].local.as_deref(),
            Some(&b"[::ffff:127.0.0.1]:8080"[..])
        );
        assert_eq!(t[&5252].remote.as_deref(), Some("[::ffff:10.0.0.2]:50000"));
    }

    #[test]
    fn udp_has_a_state_only_when_connected() {
        let t = table(Protocol::Udp, UDP);
        assert_eq!(t[&6161].local.as_deref(), Some(&b"0.0.0.0:68"[..]));
        assert_eq!(t[&6161].state, None);
        assert_eq!(t[&6161].remote, None);
        assert_eq!(t[&6262].remote.as_deref(), Some("192.168.1.1:53"));
        assert_eq!(t[&6262].state, Some("ESTABLISHED"));
    }

    #[test]
    fn unix_sockets() {
        let t = table(Protocol::Unix, UNIX);
        assert_eq!(t[&7171].local.as_deref(), Some(&b"/run/my app.sock"[..]));
        assert_eq!(t[&7171].state, Some("LISTEN"));
        assert_eq!(t[&7171].kind, Some("stream"));
        assert_eq!(t[&7272].local, None);
        assert_eq!(t[&7272].state, Some("CONNECTED"));
        assert_eq!(t[&7373].local.as_deref(), Some(&b"@abstract"[..]));
        assert_eq!(t[&7373].kind, Some("dgram"));
        assert_eq!(t[&7474].kind, Some("seqpacket"));
        assert_eq!(t[&7474].local, None);
    }

    #[test]
    fn bad_addresses_are_rejected() {
        assert_eq!(parse_address("0100007F"), None);
        assert_eq!(parse_address("01007F:0050"), None);
        assert_eq!(parse_address("0100007G:0050"), None);
        let mut out = HashMap::new();
        parse_table(Protocol::Tcp, b"header\ngarbage line\n\n", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn finds_its_own_listening_socket() -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let mut reader = super::super::Reader::new()?;
        let me = crate::sys::own_pid();
        let link = reader.link(me, &format!("fd/{}", listener.as_raw_fd()))?;
        let text = String::from_utf8_lossy(&link).into_owned();
        let inode: u64 = text
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|t| t.parse().ok())
            .expect("socket link");
        let found = resolve(&mut reader, me, &[inode]);
        assert_eq!(
            found[&inode].local.as_deref(),
            Some(format!("127.0.0.1:{port}").as_bytes())
        );
        assert_eq!(found[&inode].state, Some("LISTEN"));
        Ok(())
    }
}
