#!/usr/bin/perl
# Revocation lists in Redis (SPEC "Revocation in Redis"): every row kind
# revokes what it names and nothing else; state written before nginx
# starts is honoured from the first request; every worker refuses; an
# unknown stream op is ignored; members with odd bytes match exactly.
# Revocations are written as any writer would: the row and its stream
# entry in one MULTI/EXEC.  Nothing sleeps for propagation: requests poll
# (at most 5 s) until the expected status arrives.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest qw(hs_token json_str);

my $t = TicketTest->new;

# the ticketctl revoke case only once that subcommand exists
my ($revoke_rc) = $t->run_cmd($t->ctl, 'revoke', '--help');
my $have_revoke = ($revoke_rc == 0);

plan(tests => 69 + ($have_revoke ? 4 : 0));

my $k1 = $t->keygen('ES256', 'k1');
my $k2 = $t->keygen('ES256', 'k2');
my $secret = 'revocation-test-hmac-secret-0123456789abcdef';
$t->write_file('hs.secret', "$secret\n");

my $PRE = 'ticket:revoked:';

$t->start_redis;

# ---- state revoked before nginx starts (rows only, no stream entry) -------

my $now = int(time);

my %pre;
$pre{jti} = mint(sub => 'pat', tenant => 'acme', jti => 'pre-jti-1');
$pre{sub} = mint(sub => 'quinn', tenant => 'acme', iat => $now - 20);
$pre{ok} = mint(sub => 'pat', tenant => 'acme', jti => 'pre-jti-2');

is(rcmd('ZADD', "${PRE}jti", $now + 900, 'pre-jti-1'), 1,
   'pre-start: jti row written');
is(rcmd('HSET', "${PRE}sub", 'acme/quinn', $now - 10), 1,
   'pre-start: sub row written');

$t->start(<<'EOF', workers => 2);
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=2s;
    ticket_revocation_max_stale 5s;

    # cut-offs take ticket_leeway of slack (revocation_leeway.t): tickets
    # "issued after" a cut-off below have an iat past cut-off + 1 s
    ticket_leeway 1s;

    log_format t '$status $ticket_reason $ticket_sub $ticket_jti $pid';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        access_log %%DIR%%/logs/t.log t;

        location /api/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_keys %%DIR%%/keys/k2.jwks;
            ticket_key hs1 HS256 %%DIR%%/hs.secret;
            add_header X-Reason $ticket_reason always;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\n";
        }
    }
EOF

{
    # the very first request: never 200 (401 revoked, or 503 not loaded)
    my $r = $t->get('/api/x', ticket => $pre{jti});
    note("pre-start jti: first request answered $r->{status}");
    isnt($r->{status}, 200, 'pre-start jti: first request is not 200');
    ok($r->{status} == 401 || $r->{status} == 503,
       'pre-start jti: first request is 401 or 503')
        or diag("status $r->{status}");
    my ($r2, $dt, $seen) = poll($pre{jti}, 401);
    note(sprintf 'pre-start jti: 401 after %.0f ms', $dt * 1000);
    is($r2->{status}, 401, 'pre-start jti: 401 once loaded');
    is($r2->{headers}{'x-reason'}, 'revoked', 'pre-start jti: reason revoked');
    ok(!grep({ $_ == 200 } @$seen), 'pre-start jti: never 200 meanwhile')
        or diag("seen @$seen");

    ($r2, $dt, $seen) = poll($pre{sub}, 401);
    is($r2->{status}, 401, 'pre-start sub row: 401');
    ok(!grep({ $_ == 200 } @$seen), 'pre-start sub row: never 200');

    ($r2, $dt, $seen) = poll($pre{ok}, 200);
    is($r2->{status}, 200, 'pre-start: another jti of the same subject 200');
}

# ---- jti ------------------------------------------------------------------

{
    my $exp = int(time) + 900;
    my $a = mint(sub => 'carol', tenant => 'acme', jti => 'jti-carol-a',
                 exp => $exp);
    my $b = mint(sub => 'carol', tenant => 'acme', jti => 'jti-carol-b',
                 exp => $exp);
    is(status($a), 200, 'jti: ticket a 200 before');

    my $t0 = time;
    revoke('jti', 'jti-carol-a', $exp);
    my ($r, $dt) = poll($a, 401);
    note(sprintf 'jti revocation landed in %.0f ms', $dt * 1000);
    is($r->{status}, 401, 'jti: revoked ticket 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'jti: reason revoked');
    like($r->{headers}{'www-authenticate'} // '', qr/error="invalid_token"/,
         'jti: invalid_token challenge');
    is(status($b), 200, 'jti: another ticket of the same subject 200');
}

# ---- sub, with and without tenant ---------------------------------------

{
    my $cut = int(time) - 5;
    my $before = mint(sub => 'alice', tenant => 'acme', iat => $cut - 60);
    my $at = mint(sub => 'alice', tenant => 'acme', iat => $cut);
    my $after = mint(sub => 'alice', tenant => 'acme', iat => $cut + 2);
    my $globex = mint(sub => 'alice', tenant => 'globex', iat => $cut - 60);
    my $plain = mint(sub => 'alice', iat => $cut - 60);
    is(status($before), 200, 'sub: alice@acme 200 before');

    revoke('sub', 'acme/alice', $cut);
    my ($r) = poll($before, 401);
    is($r->{status}, 401, 'sub acme/alice: ticket issued before cut-off 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'sub acme/alice: reason revoked');
    is(status($at), 401, 'sub acme/alice: ticket issued at the cut-off 401');
    is(status($after), 200, 'sub acme/alice: ticket issued after 200');
    is(status($globex), 200, 'sub acme/alice: alice of globex 200');
    is(status($plain), 200, 'sub acme/alice: alice without tenant 200');

    # iat after cut-off + ticket_leeway
    my $cut2 = int(time) - 10;
    my $bob = mint(sub => 'bob', iat => $cut2 - 30);
    my $bob_new = mint(sub => 'bob', iat => $cut2 + 2);
    my $bob_acme = mint(sub => 'bob', tenant => 'acme', iat => $cut2 - 30);
    is(status($bob), 200, 'sub /bob: 200 before');

    revoke('sub', '/bob', $cut2);
    ($r) = poll($bob, 401);
    is($r->{status}, 401, 'sub /bob: ticket without tenant 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'sub /bob: reason revoked');
    is(status($bob_new), 200, 'sub /bob: ticket with iat after cut-off 200');
    is(status($bob_acme), 200, 'sub /bob: bob of tenant acme 200');
}

# ---- sid: a lost phone ----------------------------------------------------

{
    my $cut = int(time) - 10;
    my $phone = mint(sub => 'dave', tenant => 'acme', sid => 'phone1',
                     iat => $cut - 30);
    my $laptop = mint(sub => 'dave', tenant => 'acme', sid => 'laptop',
                      iat => $cut - 30);
    my $nosid = mint(sub => 'dave', tenant => 'acme', iat => $cut - 30);
    my $phone_new = mint(sub => 'dave', tenant => 'acme', sid => 'phone1',
                         iat => $cut + 2);
    is(status($phone), 200, 'sid: phone1 200 before');

    revoke('sid', 'phone1', $cut);
    my ($r) = poll($phone, 401);
    is($r->{status}, 401, 'sid phone1: 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'sid phone1: reason revoked');
    is(status($laptop), 200, 'sid phone1: same person on laptop 200');
    is(status($nosid), 200, 'sid phone1: same person without sid 200');
    is(status($phone_new), 200, 'sid phone1: phone1 re-login after cut 200');
}

# ---- every worker refuses -------------------------------------------------

{
    my $exp = int(time) + 900;
    my $tk = mint(sub => 'erin', tenant => 'acme', jti => 'jti-erin',
                  exp => $exp);
    is(status($tk), 200, 'workers: ticket 200 before');
    my $mark = log_lines();
    revoke('jti', 'jti-erin', $exp);
    my ($r) = poll($tk, 401);
    is($r->{status}, 401, 'workers: first 401');

    my @st = map { status($tk) } 1 .. 20;
    is(scalar(grep { $_ == 401 } @st), 20,
       'workers: 20 requests on new connections all 401')
        or diag("statuses @st");

    # reuseport spreads connections over both workers: both refused
    my %pids;
    for my $l (log_lines_since($mark)) {
        my @f = split / /, $l;
        $pids{$f[4]}++ if $f[0] eq '401' && $f[1] eq 'revoked';
    }
    is(scalar(keys %pids), 2, 'workers: both workers answered 401')
        or diag(explain(\%pids));
}

# ---- unknown op is ignored, later entries still applied -------------------

{
    my $exp = int(time) + 900;
    my $x = mint(sub => 'frank', jti => 'jti-frob', exp => $exp);
    my $y = mint(sub => 'frank', jti => 'jti-after-frob', exp => $exp);
    is(status($x), 200, 'unknown op: ticket 200 before');
    my $log_before = length $t->error_log;

    my $id = rcmd('XADD', 'ticket:events', '*', 'op', 'frobnicate',
                  'list', 'jti', 'member', 'jti-frob', 'value', $exp);
    ok(!ref $id && $id =~ /^\d+-\d+$/, 'unknown op: entry written');
    rcmd('XADD', 'ticket:events', '*', 'op', 'frobnicate', 'colour',
         'blue');

    revoke('jti', 'jti-after-frob', $exp);
    my ($r) = poll($y, 401);
    is($r->{status}, 401, 'unknown op: a later entry is still applied');
    is(status($x), 200, 'unknown op: the frobnicate entry revoked nothing');

    my $log = substr $t->error_log, $log_before;
    unlike($log, qr/connected to redis|unexpected stream entry|gap in/,
           'unknown op: the sync did not reconnect or reload for it')
        or diag($log);
}

# ---- a member with odd bytes (quotes, newline) -------------------------

{
    my $n = int(time);
    my $odd = "we\"ird 'na\\me\nline2";
    my $near = "we\"ird 'na\\me line2";
    my $tk = hs(sub => $odd, tenant => 'acme', jti => 'jti-odd-1',
                iat => $n - 30);
    my $tk2 = hs(sub => $near, tenant => 'acme', jti => 'jti-odd-2',
                 iat => $n - 30);
    my $tk3 = hs(sub => $odd, jti => 'jti-odd-3', iat => $n - 30);
    is(status($tk), 200, 'odd bytes: hand-built HS256 ticket 200 before');
    is(status($tk2), 200, 'odd bytes: near-miss ticket 200 before');

    revoke('sub', "acme/$odd", $n);
    my ($r) = poll($tk, 401);
    is($r->{status}, 401, 'odd bytes: sub with quotes and newline revoked');
    is($r->{headers}{'x-reason'}, 'revoked', 'odd bytes: reason revoked');
    is(status($tk2), 200, 'odd bytes: member differing by one byte 200');
    is(status($tk3), 200, 'odd bytes: same sub without tenant 200');

    # the hash field as it is in Redis: exactly the bytes written
    is(rcmd('HGET', "${PRE}sub", "acme/$odd"), $n,
       'odd bytes: field stored byte for byte');
}

# ---- tenant ---------------------------------------------------------------

{
    my $cut = int(time) - 10;
    my @acme = map { mint(sub => "user$_", tenant => 'acme',
                          iat => $cut - 30) } 1 .. 3;
    my $acme_new = mint(sub => 'user9', tenant => 'acme', iat => $cut + 2);
    my $globex = mint(sub => 'user1', tenant => 'globex', iat => $cut - 30);
    my $none = mint(sub => 'user1', iat => $cut - 30);
    is(status($acme[0]), 200, 'tenant: acme ticket 200 before');

    revoke('tenant', 'acme', $cut);
    my ($r) = poll($acme[0], 401);
    is($r->{status}, 401, 'tenant acme: first acme ticket 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'tenant acme: reason revoked');
    is(status($acme[1]), 401, 'tenant acme: second acme ticket 401');
    is(status($acme[2]), 401, 'tenant acme: third acme ticket 401');
    is(status($acme_new), 200, 'tenant acme: acme ticket issued after 200');
    is(status($globex), 200, 'tenant acme: globex 200');
    is(status($none), 200, 'tenant acme: ticket without tenant 200');
}

# ---- kid ----------------------------------------------------------------

{
    my @k2 = (mint(sub => 'gina', key => $k2, kid => 'k2'),
              mint(sub => 'hank', tenant => 'globex', key => $k2, kid => 'k2',
                   iat => int(time) + 1));
    my $k1t = mint(sub => 'gina');
    my $hst = hs(sub => 'gina', jti => 'jti-hs-kid', iat => int(time) - 5);
    is(status($k2[0]), 200, 'kid: k2 ticket 200 before');

    revoke_kid('k2');
    my ($r) = poll($k2[0], 401);
    is($r->{status}, 401, 'kid k2: ticket of that key 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'kid k2: reason revoked');
    is(status($k2[1]), 401, 'kid k2: any ticket of that key 401, any time');
    is(status($k1t), 200, 'kid k2: ticket of another key (k1) 200');
    is(status($hst), 200, 'kid k2: ticket of another key (hs1) 200');
}

# ---- a ticket with iat after a sub cut-off passes ------------------------

{
    my $cut = int(time) - 100;
    my $old = mint(sub => 'ivan', tenant => 'globex', iat => $cut - 1);
    my $new = mint(sub => 'ivan', tenant => 'globex', iat => $cut + 2);
    revoke('sub', 'globex/ivan', $cut);
    my ($r) = poll($old, 401);
    is($r->{status}, 401, 'cut-off in the past: older ticket 401');
    is(status($new), 200, 'cut-off in the past: ticket issued after 200');

    # a later cut-off replaces the earlier one (covers more)
    my $cut2 = int(time);
    revoke('sub', 'globex/ivan', $cut2);
    ($r) = poll($new, 401);
    is($r->{status}, 401, 'a later cut-off covers the newer ticket too');
}

# ---- ticketctl revoke (only once it exists) -------------------------------

if ($have_revoke) {
    my $n = int(time);
    my $tk = mint(sub => 'judy', tenant => 'initech', iat => $n - 30);
    my $other = mint(sub => 'judy', tenant => 'umbrella', iat => $n - 30);
    is(status($tk), 200, 'ticketctl revoke: judy@initech 200 before');
    my ($rc, $o, $e) = $t->ticketctl('revoke', '--redis',
                                     '127.0.0.1:' . $t->port('redis'),
                                     '--sub', 'judy', '--tenant', 'initech',
                                     '--reason', 'left the company');
    is($rc, 0, 'ticketctl revoke --sub --tenant: exit 0') or diag($e);
    my ($r, $dt) = poll($tk, 401);
    is($r->{status}, 401, 'ticketctl revoke --sub --tenant: ticket 401');
    note(sprintf 'ticketctl revoke landed in %.0f ms', $dt * 1000);
    is(status($other), 200, 'ticketctl revoke: judy of another tenant 200');
} else {
    note('ticketctl revoke not available yet: its case is left out');
}

# ---- nothing revoked went through at any point --------------------------

{
    $t->stop;
    my %revoked = map { $_ => 1 } qw(pre-jti-1 jti-carol-a jti-erin
                                     jti-after-frob jti-odd-1);
    my @leaks;
    my @lines = split /\n/, $t->read_file('logs/t.log');
    # a jti is revoked from the first 401 revoked on: no 200 after it
    my %cut;
    for my $i (0 .. $#lines) {
        my @f = split / /, $lines[$i];
        next unless defined $f[3] && $revoked{$f[3]};
        $cut{$f[3]} = 1 if $f[0] eq '401';
        push @leaks, $lines[$i] if $f[0] eq '200' && $cut{$f[3]};
    }
    ok(!@leaks, 'access log: no revoked jti got 200 after its first 401')
        or diag(join "\n", @leaks);
    is(scalar(grep { /^200 .* pre-jti-1 / } @lines), 0,
       'access log: the jti revoked before start never got 200');
}

$t->done;

# ---- helpers ---------------------------------------------------------------

sub mint {
    my (%a) = @_;
    my $key = delete $a{key} // $k1;
    return $t->mint(key => $key->{key}, kid => 'k1', kind => 'user', %a);
}

# an HS256 ticket built by hand: any bytes in the claims
sub hs {
    my (%a) = @_;
    my $iat = $a{iat} // int(time);
    my @c = ('"sub":' . json_str($a{sub}), '"kind":"user"',
             '"jti":' . json_str($a{jti}), "\"iat\":$iat",
             '"exp":' . ($iat + 900));
    push @c, '"tenant":' . json_str($a{tenant}) if defined $a{tenant};
    return hs_token('{"alg":"HS256","kid":"hs1","typ":"JWT"}',
                    '{' . join(',', @c) . '}', $secret);
}

sub rcmd { return $t->redis_cmd(@_) }

sub status {
    my ($tk) = @_;
    return $t->get('/api/x', ticket => $tk)->{status};
}

# request until the status is $want or 5 s passed:
# (last response, seconds, [statuses seen])
sub poll {
    my ($tk, $want, $limit) = @_;
    $limit //= 5;
    my $t0 = time;
    my ($r, @seen);
    while (1) {
        $r = $t->get('/api/x', ticket => $tk);
        push @seen, $r->{status};
        last if $r->{status} == $want || time - $t0 > $limit;
        sleep 0.01;
    }
    return ($r, time - $t0, \@seen);
}

# the row and its stream entry, atomically, as the SPEC's table says
sub revoke {
    my ($list, $member, $value) = @_;
    my @row = $list eq 'jti'
            ? ('ZADD', "${PRE}jti", $value, $member)
            : ('HSET', "$PRE$list", $member, $value);
    my @r = (rcmd('MULTI'), rcmd(@row),
             rcmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list', $list,
                  'member', $member, 'value', $value, 'reason', 'test',
                  'actor', 'revocation.t'),
             rcmd('EXEC'));
    die "revoke $list $member: " . explain(\@r) unless ref $r[3] eq 'ARRAY'
        && !grep { ref } @{$r[3]};
}

sub revoke_kid {
    my ($kid) = @_;
    my @r = (rcmd('MULTI'), rcmd('SADD', "${PRE}kid", $kid),
             rcmd('XADD', 'ticket:events', '*', 'op', 'revoke', 'list', 'kid',
                  'member', $kid),
             rcmd('EXEC'));
    die "revoke kid $kid: " . explain(\@r) unless ref $r[3] eq 'ARRAY'
        && !grep { ref } @{$r[3]};
}

sub log_lines {
    my @l = split /\n/, $t->read_file('logs/t.log');
    return scalar @l;
}

sub log_lines_since {
    my ($mark) = @_;
    my @l = split /\n/, $t->read_file('logs/t.log');
    return @l[$mark .. $#l];
}
