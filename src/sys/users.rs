//! User and group names from the system's databases (NSS via `getpwuid_r`),
//! looked up once per id and cached: a listing of thousands of processes
//! usually has a handful of owners.

use std::collections::HashMap;

use nix::unistd::{Gid, Group, Uid, User};

/// A cache of uid → user name and gid → group name.
#[derive(Debug, Default)]
pub struct Names {
    users: HashMap<u32, Option<String>>,
    groups: HashMap<u32, Option<String>>,
}

impl Names {
    /// The user name for `uid`, or `None` when the system has none.
    pub fn user(&mut self, uid: u32) -> Option<&str> {
        self.users
            .entry(uid)
            .or_insert_with(|| {
                User::from_uid(Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .as_deref()
    }

    /// The user name for `uid`, or the UID as text when it has none.
    pub fn user_or_uid(&mut self, uid: u32) -> String {
        match self.user(uid) {
            Some(name) => name.to_string(),
            None => uid.to_string(),
        }
    }

    /// The group name for `gid`, or `None` when the system has none.
    pub fn group(&mut self, gid: u32) -> Option<&str> {
        self.groups
            .entry(gid)
            .or_insert_with(|| {
                Group::from_gid(Gid::from_raw(gid))
                    .ok()
                    .flatten()
                    .map(|g| g.name)
            })
            .as_deref()
    }
}

/// The uid for a user name or a numeric uid.
pub fn resolve_user(name_or_uid: &str) -> Option<u32> {
    if let Ok(uid) = name_or_uid.parse::<u32>() {
        return Some(uid);
    }
    User::from_name(name_or_uid)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_known() {
        let mut names = Names::default();
        assert_eq!(names.user(0), Some("root"));
        assert_eq!(resolve_user("root"), Some(0));
        assert_eq!(resolve_user("42"), Some(42));
        assert_eq!(resolve_user("no-such-user-ptool"), None);
    }
}
