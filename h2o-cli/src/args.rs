//! A small option parser shared by the subcommands (flags with values, repeatable flags,
//! positional URLs), with errors that name the offending option.

use h2o_core::{Config, Method, Request};

/// Options common to `get` and `bench`.
#[derive(Debug, Default)]
pub struct Common {
    pub method: Option<String>,
    pub headers: Vec<(String, String)>,
    pub data: Option<bytes::Bytes>,
    pub verbose: bool,
    /// `--log FILTER`: log filter (EnvFilter syntax), overrides `H2O_LOG`.
    pub log: Option<String>,
    pub cacert: Option<String>,
    pub insecure: bool,
    /// `--stats`: print the client's metrics snapshot (JSON) to stderr at the end.
    pub stats: bool,
    pub urls: Vec<String>,
}

/// Parses `args`; `extra` handles subcommand-specific flags (returns true if it took one).
pub fn parse(
    args: &[String],
    mut extra: impl FnMut(&str, &mut dyn FnMut() -> Result<String, String>) -> Result<bool, String>,
) -> Result<Common, String> {
    let mut c = Common::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        let mut value = || -> Result<String, String> {
            let v = args
                .get(i)
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))?;
            i += 1;
            Ok(v)
        };
        match arg {
            "-X" | "--method" => c.method = Some(value()?),
            "-H" | "--header" => {
                let h = value()?;
                let (n, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("header {h:?} is not 'name: value'"))?;
                c.headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            "-d" | "--data" => {
                let d = value()?;
                c.data = Some(match d.strip_prefix('@') {
                    Some(path) => std::fs::read(path)
                        .map_err(|e| format!("cannot read {path}: {e}"))?
                        .into(),
                    None => d.into_bytes().into(),
                });
            }
            "-v" | "--verbose" => c.verbose = true,
            "--log" => c.log = Some(value()?),
            "--cacert" => c.cacert = Some(value()?),
            "--insecure" | "-k" => c.insecure = true,
            "--stats" => c.stats = true,
            _ if arg.starts_with('-') && arg.len() > 1 => {
                if !extra(arg, &mut value)? {
                    return Err(format!("unknown option {arg}"));
                }
            }
            _ => c.urls.push(arg.to_owned()),
        }
    }
    if c.urls.is_empty() {
        return Err("no URL given".into());
    }
    Ok(c)
}

impl Common {
    /// The request for `url` with the method, headers and body options applied.
    pub fn request(&self, url: &str) -> Result<Request, String> {
        let method = match (&self.method, &self.data) {
            (Some(m), _) => Method::new(m).map_err(|e| e.to_string())?,
            (None, Some(_)) => Method::POST,
            (None, None) => Method::GET,
        };
        let mut req = Request::new(method, url).map_err(|e| e.to_string())?;
        for (n, v) in &self.headers {
            req = req.header(n, v.clone());
        }
        if let Some(d) = &self.data {
            req = req.body(d.clone());
        }
        Ok(req)
    }

    /// Applies `--cacert` (trusted in addition to the system store) and `--insecure` to the
    /// client configuration.
    pub fn apply_tls(&self, cfg: &mut Config) -> Result<(), String> {
        if let Some(path) = &self.cacert {
            std::fs::metadata(path).map_err(|e| format!("--cacert {path}: {e}"))?;
            cfg.tls.ca_file = Some(path.into());
        }
        cfg.tls.danger_accept_invalid_certs = self.insecure;
        Ok(())
    }
}
