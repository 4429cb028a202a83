//! Users as the rest of the session sees them: the list (with who needs a new passphrase) and
//! the names records are shown with. Adding, removing and keys are in `trust`.

use std::collections::HashMap;

use super::{Session, UserSummary, parse_id, removed};
use crate::error::Result;
use crate::records::Role;

pub(crate) struct Names {
    users: HashMap<String, String>,
}

impl Names {
    pub(crate) fn user(&self, id: &str) -> String {
        self.users
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(unknown user)".into())
    }
}

impl Session {
    pub(crate) fn names(&self) -> Result<Names> {
        let mut stmt = self.conn().prepare_cached("SELECT id, name FROM users")?;
        let users = stmt
            .query_map([], |r| TryFrom::try_from(r))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Names { users })
    }

    pub fn users(&self) -> Result<Vec<UserSummary>> {
        self.require(Role::reads_everything)?;
        let mut stmt = self.conn.prepare(concat!(
            "SELECT id, name, role, NOT ",
            removed!(),
            " FROM users u ORDER BY name"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let reset = self.keyring.staff_needing_new_passphrase();
        rows.map(|r| {
            let (id, name, role, active) = r?;
            let id = parse_id(&id)?;
            let role = Role::parse(&role)?;
            Ok(UserSummary {
                id,
                name,
                role,
                active,
                needs_new_passphrase: active && reset.contains(&id),
                removal_rekeys: role.holds_data_key(),
            })
        })
        .collect()
    }
}
