import Cryptography
import Foundation
import Identity
import Security
import Store
import TestSupport
import Testing

/// The stores against a database built by the real migrations.
@Suite("Identity stores")
struct IdentityStoreTests {
    let directory = TemporaryDirectory()
    let now = ManualTimeSource.defaultStart

    @Test func staff_insertFetchListAndDisable() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let id = try Fixtures.makeStaff(
            database, loginID: "suzuki", role: .supervisor, department: .healthAndWelfare)
        let member = try #require(try database.read { try StaffStore.fetchStaff(loginID: "suzuki", on: $0) })
        #expect(member.id == id)
        #expect(member.role == .supervisor)
        #expect(member.department == .healthAndWelfare)
        #expect(member.isActive)

        #expect(throws: StaffStore.RegistrationConflict.loginIDTaken) {
            try Fixtures.makeStaff(database, loginID: "suzuki", role: .clerk)
        }
        let now = self.now
        #expect(try database.write { try StaffStore.disableStaff(id: id, at: now, on: $0) })
        #expect(
            try database.write { try StaffStore.disableStaff(id: id, at: now, on: $0) } == false, "already disabled")
        let disabled = try #require(try database.read { try StaffStore.fetchStaff(id: id, on: $0) })
        #expect(!disabled.isActive)
    }

    @Test func contacts_areReadForExistingIdsOnly_withTheDistrictName() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let hanako = try Fixtures.makeResident(database)
        let taro = try Fixtures.makeResident(
            database, loginID: "taro@example.jp", profile: Fixtures.residentProfile(name: "平取 太郎", kana: "ビラトリ タロウ"))
        let (contacts, districtIDs, none) = try database.read { connection in
            (
                try ResidentStore.fetchContacts(ids: [hanako, taro, 999], on: connection),
                try ResidentStore.fetchResidentIDs(districtCode: "biratori", on: connection),
                try ResidentStore.fetchContacts(ids: [], on: connection)
            )
        }
        #expect(Set(contacts.keys) == [hanako, taro], "an unknown id is left out, not an error")
        let contact = try #require(contacts[taro])
        #expect(contact.fullName == "平取 太郎")
        #expect(contact.fullNameKana == "ビラトリ タロウ")
        #expect(contact.postalCode == "055-0192")
        #expect(contact.contactChannel == .email)
        #expect(contact.districtCode == "biratori")
        #expect(contact.districtName == IdentityDemoData.districts.first { $0.code == "biratori" }?.name)
        #expect(districtIDs == [hanako, taro])
        #expect(none.isEmpty)
    }

    @Test func schema_rejectsUnknownRolesDepartmentsAndChannels() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let now = self.now
        #expect(throws: SQLiteError.self) {
            try database.write { connection in
                try connection.run(
                    """
                    INSERT INTO staff (login_id, display_name, role, department, password_hash, created_at, updated_at)
                    VALUES ('x-user', 'X', 'root', '総務課', 'pbkdf2-sha256$1$a$b', ?, ?)
                    """, now, now)
            }
        }
        #expect(throws: SQLiteError.self) {
            try database.write { connection in
                try connection.run(
                    """
                    INSERT INTO staff (login_id, display_name, role, department, password_hash, created_at, updated_at)
                    VALUES ('x-user', 'X', 'clerk', '秘密課', 'pbkdf2-sha256$1$a$b', ?, ?)
                    """, now, now)
            }
        }
        try Fixtures.seedDistricts(database)
        var profile = Fixtures.residentProfile()
        profile.districtCode = "atlantis"
        let badDistrict = profile
        #expect(throws: SQLiteError.self, "districts are a foreign key") {
            try database.write { connection in
                try ResidentStore.insertResident(
                    loginID: "a@example.jp", passwordHash: nil, profile: badDistrict, via: .web,
                    registeredByStaffID: nil,
                    at: now, on: connection)
            }
        }
        #expect(throws: SQLiteError.self, "a counter registration must name the staff member") {
            try database.write { connection in
                try ResidentStore.insertResident(
                    loginID: "b@example.jp", passwordHash: nil, profile: Fixtures.residentProfile(), via: .counter,
                    registeredByStaffID: nil, at: now, on: connection)
            }
        }
    }

    @Test func residents_loginIDIsUnique_profileUpdates_andSearchFindsKanaFromHiragana() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let id = try Fixtures.makeResident(database)
        #expect(throws: ResidentStore.RegistrationConflict.loginIDTaken) {
            try Fixtures.makeResident(database, loginID: "hanako@example.jp")
        }
        try Fixtures.makeResident(
            database, loginID: "09012345678", profile: Fixtures.residentProfile(name: "振内 太郎", kana: "フレナイ タロウ"))

        var profile = Fixtures.residentProfile()
        profile.address = "北海道沙流郡平取町振内町1番地"
        profile.phone = "0145720000"
        let updated = profile
        let now = self.now
        try database.write { try ResidentStore.updateProfile(residentID: id, updated, at: now, on: $0) }
        let resident = try #require(try database.read { try ResidentStore.fetchResident(id: id, on: $0) })
        #expect(resident.profile == updated)
        #expect(resident.hasPassword)

        let byKana = try database.read {
            try ResidentStore.searchResidents(nameContaining: "ふれない", loginID: nil, limit: 10, on: $0)
        }
        #expect(byKana.map(\.fullName) == ["振内 太郎"])
        let byLogin = try database.read {
            try ResidentStore.searchResidents(
                nameContaining: "090-1234-5678", loginID: "09012345678", limit: 10, on: $0)
        }
        #expect(byLogin.map(\.fullName) == ["振内 太郎"])
        let wildcard = try database.read {
            try ResidentStore.searchResidents(nameContaining: "%", loginID: nil, limit: 10, on: $0)
        }
        #expect(wildcard.isEmpty, "LIKE wildcards typed by staff match literally")
    }

    @Test func sessions_insertFetchTouchAndSweepExpired() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let now = self.now
        let hash = SessionToken.hash(SessionToken.generate())
        let id = try database.write {
            try SessionStore.insertSession(
                tokenHash: hash, subject: .staff(id: 7), csrfToken: SecureRandom.token(), at: now,
                absoluteExpiresAt: now.addingTimeInterval(SessionPolicy.staff.absoluteTimeout), on: $0)
        }
        let session = try #require(try database.read { try SessionStore.fetchSession(tokenHash: hash, on: $0) })
        #expect(session.id == id)
        #expect(session.subject == .staff(id: 7))
        #expect(session.isActive(at: now.addingTimeInterval(29 * 60), policy: .staff))
        #expect(!session.isActive(at: now.addingTimeInterval(30 * 60), policy: .staff), "idle for 30 minutes")

        try database.write { try SessionStore.touchSession(id: id, at: now.addingTimeInterval(25 * 60), on: $0) }
        let touched = try #require(try database.read { try SessionStore.fetchSession(tokenHash: hash, on: $0) })
        #expect(touched.isActive(at: now.addingTimeInterval(50 * 60), policy: .staff))
        #expect(!touched.isActive(at: now.addingTimeInterval(12 * 3600), policy: .staff), "12 hours at most")

        let swept = try database.write {
            try SessionStore.deleteExpiredSessions(
                at: now.addingTimeInterval(56 * 60), staff: .staff, resident: .resident, on: $0)
        }
        #expect(swept == 1)
    }

    @Test func throttle_countsLocksAndForgets() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let policy = ThrottlePolicy()
        let key = LoginThrottle.accountKey(.resident, normalizedLoginID: "hanako@example.jp")
        #expect(!key.contains("hanako"), "the typed ID is stored only hashed")
        let now = self.now
        for failure in 1...4 {
            let count = try database.write {
                try LoginThrottle.recordFailure(key: key, threshold: 5, policy: policy, at: now, on: $0)
            }
            #expect(count == failure)
        }
        #expect(try database.read { try LoginThrottle.fetchLockedUntil(keys: [key], now: now, on: $0) } == nil)
        try database.write { try LoginThrottle.recordFailure(key: key, threshold: 5, policy: policy, at: now, on: $0) }
        #expect(
            try database.read { try LoginThrottle.fetchLockedUntil(keys: [key], now: now, on: $0) }
                == now.addingTimeInterval(1))
        let aDayLater = now.addingTimeInterval(policy.forgetAfter + 1)
        let count = try database.write {
            try LoginThrottle.recordFailure(key: key, threshold: 5, policy: policy, at: aDayLater, on: $0)
        }
        #expect(count == 1, "a day without failures starts the count again")
    }

    @Test func throttlePolicy_doublesTheDelayUpToFifteenMinutes() {
        let policy = ThrottlePolicy()
        #expect(policy.delay(afterFailures: 4, threshold: 5) == nil)
        #expect(policy.delay(afterFailures: 5, threshold: 5) == 1)
        #expect(policy.delay(afterFailures: 6, threshold: 5) == 2)
        #expect(policy.delay(afterFailures: 10, threshold: 5) == 32)
        #expect(policy.delay(afterFailures: 15, threshold: 5) == 900)
        #expect(policy.delay(afterFailures: 500, threshold: 5) == 900)
        #expect(policy.delay(afterFailures: 20, threshold: 20) == 1)
    }

    @Test func apiTokens_storedHashed_revocable() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let token = APITokenRules.generateToken()
        #expect(APITokenRules.isWellFormed(token))
        let now = self.now
        try database.write {
            _ = try APITokenStore.insertToken(
                name: "notices-timer", tokenHash: APITokenRules.hash(token), scopes: ["notices:send"], at: now, on: $0)
        }
        let stored = try database.read { try $0.scalar("SELECT token_hash FROM api_tokens", as: String.self) }
        #expect(stored != token && stored?.count == 64)
        let fetched = try #require(
            try database.read { try APITokenStore.fetchToken(tokenHash: APITokenRules.hash(token), on: $0) })
        #expect(fetched.allows("notices:send") && !fetched.allows("kpi:read"))
        #expect(throws: APITokenStore.CreationConflict.nameTaken) {
            try database.write {
                _ = try APITokenStore.insertToken(
                    name: "notices-timer", tokenHash: APITokenRules.hash(APITokenRules.generateToken()),
                    scopes: ["kpi:read"], at: now, on: $0)
            }
        }
        #expect(try database.write { try APITokenStore.revokeToken(name: "notices-timer", at: now, on: $0) })
        #expect(try database.read { try APITokenStore.fetchToken(name: "notices-timer", on: $0) }?.isRevoked == true)
    }

    @Test func resetCodes_newCodeReplacesTheOld_andExpire() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let residentID = try Fixtures.makeResident(database)
        let staffID = try Fixtures.makeStaff(database, loginID: "clerk", role: .clerk)
        let now = self.now
        let hasher = Fixtures.passwordHasher
        _ = try database.write {
            try PasswordResetStore.insertCode(
                residentID: residentID, codeHash: hasher.hash("AAAAAAAA"), issuedByStaffID: staffID, at: now,
                expiresAt: now.addingTimeInterval(PasswordResetCode.validity), on: $0)
        }
        let second = try database.write {
            try PasswordResetStore.insertCode(
                residentID: residentID, codeHash: hasher.hash("BBBBBBBB"), issuedByStaffID: staffID, at: now,
                expiresAt: now.addingTimeInterval(PasswordResetCode.validity), on: $0)
        }
        let active = try #require(
            try database.read { try PasswordResetStore.fetchActiveCode(residentID: residentID, at: now, on: $0) })
        #expect(active.id == second)
        #expect(hasher.verify("BBBBBBBB", against: active.codeHash))
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM password_reset_codes", as: Int.self) } == 1)
        let later = now.addingTimeInterval(PasswordResetCode.validity)
        #expect(
            try database.read { try PasswordResetStore.fetchActiveCode(residentID: residentID, at: later, on: $0) }
                == nil)
        #expect(try database.write { try PasswordResetStore.markCodeUsed(id: second, at: now, on: $0) })
        #expect(try database.write { try PasswordResetStore.markCodeUsed(id: second, at: now, on: $0) } == false)
    }

    @Test func serverSecret_isCreatedOnce() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let now = self.now
        let first = try database.write { try ServerSecretStore.fetchOrCreateSecret(name: "k", at: now, on: $0) }
        let second = try database.write { try ServerSecretStore.fetchOrCreateSecret(name: "k", at: now, on: $0) }
        #expect(first.count == 32 && first == second)
    }

    @Test func demoData_isIdempotent_andGivesFreshPasswords() throws {
        let database = try Fixtures.makeDatabase(in: directory)
        let first = try IdentityDemoData.seed(database: database, hasher: Fixtures.passwordHasher, at: now)
        let second = try IdentityDemoData.seed(database: database, hasher: Fixtures.passwordHasher, at: now)
        #expect(first.districtsAdded == 3 && second.districtsAdded == 0)
        #expect(first.admin.created && !second.admin.created)
        #expect(first.resident.created && !second.resident.created)
        #expect(first.clerk.created && !second.clerk.created)
        #expect(first.clerkID == second.clerkID && first.residentID == second.residentID)
        #expect(first.admin.password != second.admin.password)
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM staff", as: Int.self) } == 2)
        #expect(try database.read { try $0.scalar("SELECT count(*) FROM residents", as: Int.self) } == 1)
        // Three creations, then three password resets.
        #expect(try AuditLog.verify(database) == .intact(rows: 6))
    }
}
