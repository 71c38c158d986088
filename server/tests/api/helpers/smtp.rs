//! A real SMTP server in the test process: plain SMTP on 127.0.0.1 (the app
//! is pointed at it with `?tls=none`), keeping every message it accepts.
//! [`SmtpSink::stop`] closes it (connections refused, like a mail server
//! that is down) and [`SmtpSink::start_again`] reopens it on the same port.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// A received mail, decoded.
#[derive(Clone, Debug)]
pub(crate) struct ReceivedMail {
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    pub subject: String,
    pub from: String,
    /// The text/plain part, decoded.
    pub text: String,
    /// The text/html part, decoded.
    pub html: String,
}

impl ReceivedMail {
    /// The first link in the text that starts with `prefix`.
    pub(crate) fn link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let link: String = self.text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        Some(link)
    }

    /// The `token` query parameter of the first link starting with `prefix`.
    pub(crate) fn token(&self, prefix: &str) -> Option<String> {
        let link = self.link(prefix)?;
        let url = reqwest::Url::parse(&link).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    }
}

/// Parses a raw RFC 5322 message with its envelope recipients.
pub(crate) fn parse_mail(raw: &[u8], to: Vec<String>) -> ReceivedMail {
    let parsed = mailparse::parse_mail(raw).expect("a well-formed mail");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(mailparse::MailHeader::get_value)
            .unwrap_or_default()
    };
    let part = |mime: &str| {
        parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == mime)
            .map(|p| p.get_body().expect("a decodable part"))
            .unwrap_or_default()
    };
    ReceivedMail {
        to,
        subject: header("Subject"),
        from: header("From"),
        text: part("text/plain"),
        html: part("text/html"),
    }
}

pub(crate) struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    server: Option<JoinHandle<()>>,
}

impl SmtpSink {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sink = Self {
            addr,
            mails: Arc::default(),
            server: None,
        };
        sink.serve(listener);
        sink
    }

    /// `JOTPASS_SMTP_URL` for this sink.
    pub(crate) fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    /// Closes the port: connections are refused until `start_again`.
    pub(crate) async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            // Once the task is gone, so is the listener (and the port is
            // closed, not merely unanswered).
            let _ = server.await;
        }
    }

    pub(crate) async fn start_again(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    /// Every mail received so far.
    pub(crate) fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    /// The mails to `address`.
    pub(crate) fn mails_to(&self, address: &str) -> Vec<ReceivedMail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }

    /// Waits up to `secs` seconds for the `n`th mail to `address`.
    pub(crate) async fn wait_for(&self, address: &str, n: usize, secs: u64) -> Vec<ReceivedMail> {
        for _ in 0..secs * 20 {
            let mails = self.mails_to(address);
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{n} mail(s) to {address} expected within {secs} s; got {:?}",
            self.mails_to(address)
                .iter()
                .map(|m| &m.subject)
                .collect::<Vec<_>>()
        );
    }

    /// The tokens of the links starting with `prefix` in the mails to
    /// `address`, oldest first.
    pub(crate) fn tokens(&self, address: &str, prefix: &str) -> Vec<String> {
        self.mails_to(address)
            .iter()
            .filter_map(|m| m.token(prefix))
            .collect()
    }

    /// Waits up to `secs` seconds for the `n`th such token; answers it.
    pub(crate) async fn wait_for_token(
        &self,
        address: &str,
        prefix: &str,
        n: usize,
        secs: u64,
    ) -> String {
        for _ in 0..secs * 20 {
            if let Some(token) = self.tokens(address, prefix).get(n - 1) {
                return token.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("link {n} starting with {prefix} to {address} expected within {secs} s");
    }

    fn serve(&mut self, listener: TcpListener) {
        let mails = self.mails.clone();
        self.server = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(session(stream, mails.clone()));
            }
        }));
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// One SMTP session (RFC 5321, the commands lettre sends).
async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<ReceivedMail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut to = Vec::new();
    let reply = |text: &'static str| text.as_bytes();
    if write.write_all(reply("220 sink ESMTP\r\n")).await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("EHLO") {
            reply("250-sink\r\n250 8BITMIME\r\n")
        } else if command.starts_with("HELO") {
            reply("250 sink\r\n")
        } else if command.starts_with("MAIL FROM") {
            to.clear();
            reply("250 ok\r\n")
        } else if command.starts_with("RCPT TO") {
            let address = line.trim_end()[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            to.push(address);
            reply("250 ok\r\n")
        } else if command == "DATA" {
            if write.write_all(reply("354 go on\r\n")).await.is_err() {
                return;
            }
            let mut raw = Vec::new();
            loop {
                let mut data = String::new();
                if lines.read_line(&mut data).await.unwrap_or(0) == 0 {
                    return;
                }
                if data == ".\r\n" {
                    break;
                }
                // Dot-stuffing (RFC 5321 4.5.2).
                let data = data.strip_prefix('.').unwrap_or(&data);
                raw.extend_from_slice(data.as_bytes());
            }
            mails
                .lock()
                .unwrap()
                .push(parse_mail(&raw, std::mem::take(&mut to)));
            reply("250 queued\r\n")
        } else if command == "QUIT" {
            let _ = write.write_all(reply("221 bye\r\n")).await;
            return;
        } else {
            reply("250 ok\r\n")
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}
