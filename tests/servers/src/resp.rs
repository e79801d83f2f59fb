//! Just enough of RESP2, Redis's protocol, to send a cluster's admin commands to its nodes: a
//! `redis-cli` per command would cost a process each, many times a second while a wait polls.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// One reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `+OK`.
    Status(String),
    /// `-ERR ...`, without the `-`.
    Error(String),
    /// `:1`.
    Integer(i64),
    /// `$3\r\nfoo`.
    Bulk(Vec<u8>),
    /// `$-1` or `*-1`.
    Nil,
    /// `*2\r\n...`.
    Array(Vec<Reply>),
}

/// A connection to a node on `127.0.0.1`, every read and write bounded by its timeout.
#[derive(Debug)]
pub(crate) struct Connection {
    /// Buffered for reading replies; writes go to the stream beneath.
    reader: BufReader<TcpStream>,
}

impl Connection {
    /// Connects to `127.0.0.1:port`, giving up after `timeout`; later reads and writes each get
    /// `timeout` too.
    pub(crate) fn open(port: u16, timeout: Duration) -> io::Result<Self> {
        let stream =
            TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
    }

    /// Sends one command and reads its reply. An error reply is `Ok(Reply::Error(..))`.
    pub(crate) fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Reply> {
        self.reader.get_mut().write_all(&encode(args))?;
        read_reply(&mut self.reader)
    }
}

/// `args` as a RESP array of bulk strings.
fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one reply, arrays whole.
fn read_reply(reader: &mut impl BufRead) -> io::Result<Reply> {
    let line = read_line(reader)?;
    let (&kind, rest) = line.split_first().ok_or_else(|| invalid("an empty line"))?;
    let text = String::from_utf8_lossy(rest).into_owned();
    match kind {
        b'+' => Ok(Reply::Status(text)),
        b'-' => Ok(Reply::Error(text)),
        b':' => Ok(Reply::Integer(parse_number(&text)?)),
        b'$' => match usize::try_from(parse_number(&text)?) {
            Err(_) => Ok(Reply::Nil),
            Ok(length) => {
                let mut bulk = vec![0; length + 2];
                reader.read_exact(&mut bulk)?;
                if !bulk.ends_with(b"\r\n") {
                    return Err(invalid("a bulk string without its CRLF"));
                }
                bulk.truncate(length);
                Ok(Reply::Bulk(bulk))
            }
        },
        b'*' => match usize::try_from(parse_number(&text)?) {
            Err(_) => Ok(Reply::Nil),
            Ok(count) => (0..count)
                .map(|_| read_reply(reader))
                .collect::<io::Result<_>>()
                .map(Reply::Array),
        },
        _ => Err(invalid("an unknown reply type")),
    }
}

/// One line, without its CRLF.
fn read_line(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection closed mid-reply",
        ));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

/// The length or integer of a reply header.
fn parse_number(text: &str) -> io::Result<i64> {
    text.parse().map_err(|_| invalid("a malformed number"))
}

/// A reply this module cannot read.
fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("RESP: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> io::Result<Reply> {
        read_reply(&mut &bytes[..])
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            encode(&["GET", "", "a\r\nb"]),
            b"*3\r\n$3\r\nGET\r\n$0\r\n\r\n$4\r\na\r\nb\r\n"
        );
    }

    #[test]
    fn every_reply_type_is_read() {
        assert_eq!(parse(b"+OK\r\n").unwrap(), Reply::Status("OK".into()));
        assert_eq!(
            parse(b"-MOVED 1 127.0.0.1:1\r\n").unwrap(),
            Reply::Error("MOVED 1 127.0.0.1:1".into())
        );
        assert_eq!(parse(b":-7\r\n").unwrap(), Reply::Integer(-7));
        assert_eq!(parse(b"$-1\r\n").unwrap(), Reply::Nil);
        assert_eq!(parse(b"*-1\r\n").unwrap(), Reply::Nil);
        assert_eq!(
            parse(b"*2\r\n$4\r\na\r\nb\r\n*0\r\n").unwrap(),
            Reply::Array(vec![Reply::Bulk(b"a\r\nb".to_vec()), Reply::Array(vec![])])
        );
    }

    #[test]
    fn a_cut_reply_is_an_error() {
        assert!(parse(b"$5\r\nab").is_err());
        assert!(parse(b"+OK").is_err());
        assert!(parse(b"?\r\n").is_err());
    }
}
