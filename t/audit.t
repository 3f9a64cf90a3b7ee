#!/usr/bin/perl
# The audit trail: every event with every member checked (names, order,
# types, values), one record a request at most, status as sent, uri as
# asked, escaping attacks through claims, kid and request data, the ticket
# never logged anywhere, records within a second, USR1 reopen.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(b64url hs_token);
use JSON::PP;
use Encode ();
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $secret = 'audit-test-hmac-secret-0123456789abcdef';
$t->write_file('hs.secret', "$secret\n");
mkdir $t->dir . '/html';
$t->write_file('html/e.html', "custom error page\n");

$t->start(<<'EOF');
    log_format t '$request_id $status $ticket_decision $ticket_reason';
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_audit_gateway gw-test;
    ticket_privileged_roles admin;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;
        root %%DIR%%/html;

        location /api/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /reader/ {
            ticket user;
            ticket_require_role reader;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /admin/ {
            ticket user;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /svc/ {
            ticket service;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /req/ {
            ticket user;
            ticket_audience a b;
            ticket_require_role x y;
            ticket_require_role z;
            ticket_require_claim dept sales eng;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /ops/ {
            ticket user;
            ticket_audit_events denied over_privilege excess_privilege
                                allowed;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /dry/ {
            ticket user;
            ticket_mode audit;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /err/ {
            ticket user;
            error_page 401 =418 /e.html;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /e.html { }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend $request_uri\n";
        }
        location /ops/missing {
            return 404;
        }
    }
EOF

my $now = int time;
my $json = JSON::PP->new->utf8->canonical;
my @ORDER = qw(time event reason status enforced client method host uri
               request_id verified sub kind tenant jti kid iss sid roles
               required token_fp exp unmet gateway writer seq);
my @secrets;             # every ticket sent: never to be found in logs/

sub fp { defined $_[0] ? substr(sha256_hex($_[0]), 0, 16) : undef }

sub remember {
    my ($tk) = @_;
    push @secrets, $tk;
    my @p = split /\./, $tk;
    push @secrets, $p[2] if @p == 3 && length $p[2] >= 8;
    return $tk;
}

sub mint { remember($t->mint(key => $k->{key}, kid => 'k1', @_)) }
sub hs { remember(hs_token($_[0], $_[1], $_[2] // $secret)) }

# top-level members of a JSON object text, in order: [name, raw value]
sub members {
    my ($text) = @_;
    my @m;
    my ($depth, $i, $n) = (0, 0, length $text);
    my ($key, $vstart);
    while ($i < $n) {
        my $c = substr($text, $i, 1);
        if ($c eq '"') {
            my $j = $i + 1;
            while ($j < $n) {
                my $d = substr($text, $j, 1);
                if ($d eq '\\') { $j += 2; next }
                last if $d eq '"';
                $j++;
            }
            my $s = substr($text, $i, $j - $i + 1);
            if ($depth == 1 && !defined $key
                && substr($text, $j + 1, 1) eq ':') {
                $key = $json->decode($s =~ s/^/[/r =~ s/$/]/r)->[0];
                $vstart = $j + 2;
                $i = $j + 2;
                next;
            }
            $i = $j + 1;
            next;
        }
        if ($c eq '{' || $c eq '[') { $depth++ }
        elsif ($c eq '}' || $c eq ']') {
            if ($depth == 1 && defined $key) {
                push @m, [$key, substr($text, $vstart, $i - $vstart)];
                undef $key;
            }
            $depth--;
        }
        elsif ($c eq ',' && $depth == 1 && defined $key) {
            push @m, [$key, substr($text, $vstart, $i - $vstart)];
            undef $key;
        }
        $i++;
    }
    return @m;
}

# lines of an audit file, each checked to be one valid JSON record
sub records {
    my ($file) = @_;
    my $c = $t->read_file($file);
    return () if $c eq '';
    my @lines = split /\n/, $c, -1;
    my $last = pop @lines;
    my @r;
    push @r, { bad => 'file does not end with a newline' } if $last ne '';
    for my $l (@lines) {
        my $rec = eval {
            Encode::decode('UTF-8', my $copy = $l, Encode::FB_CROAK);
            $json->decode($l);
        };
        push @r, { raw => $l, rec => $rec, err => $@ };
    }
    return @r;
}

sub lines_in { my $c = $t->read_file($_[0]); return () = $c =~ /\n/g }

sub wait_lines {
    my ($file, $n, $timeout) = @_;
    my $end = time + ($timeout // 5);
    while (time < $end) {
        return 1 if lines_in($file) >= $n;
        sleep 0.02;
    }
    return lines_in($file) >= $n;
}

# ---- records reach the file within a second ------------------------------

my $t0 = time;
my $r = $t->get('/api/first');
is($r->{status}, 401, 'first: 401');
my $got = wait_lines('logs/audit.jsonl', 1, 5);
my $took = time - $t0;
note(sprintf "first record reached the file after %.0f ms", $took * 1000);
ok($got, 'first record reached the file');

# ---- the cases -----------------------------------------------------------

my @cases;               # [name, uri, expected record or undef]

sub base {
    return (event => undef, reason => undef, status => undef,
            enforced => 1, client => '127.0.0.1', method => 'GET',
            host => 'localhost', verified => 0, sub => undef,
            kind => undef, tenant => undef, jti => undef, kid => undef,
            iss => undef, sid => undef, roles => [],
            required => ['kind:user'], token_fp => undef, exp => undef,
            unmet => undef, gateway => 'gw-test');
}

sub case {
    my ($name, $uri, %o) = @_;
    my $ticket = delete $o{ticket};
    my $raw = delete $o{raw};
    my $want_status = delete $o{http_status};
    my $res = defined $raw ? TicketTest::parse_response($t->http($raw))
            : $t->get($uri, defined $ticket ? (ticket => $ticket) : (),
                      %{delete $o{get} // {}});
    is($res->{status}, $want_status, "$name: HTTP $want_status");
    my $exp;
    if (!delete $o{none}) {
        $exp = { base(), token_fp => fp($ticket), %o };
        # one role line in these locations: it is the unmet one
        if (!exists $o{unmet} && ($exp->{reason} // '') eq 'insufficient_role')
        {
            ($exp->{unmet}) = grep { /^role:/ } @{$exp->{required}};
        }
        # exp as the ticket claims it, where it was read (sub is then too)
        if (!exists $o{exp} && defined $ticket && defined $exp->{sub}) {
            my $p = (split /\./, $ticket)[1];
            $exp->{exp} = $json->decode(TicketTest::b64url_decode($p))->{exp};
        }
        $exp->{uri} //= ($uri =~ s/\?.*//sr);
    }
    push @cases, [$name, defined $exp ? $exp->{uri} : ($uri =~ s/\?.*//sr),
                  $exp];
}

my %alice = (sub => 'alice', kind => 'user', tenant => 'acme',
             iss => 'https://idp.example', sid => 'dev-1');

# denied
case('denied missing', '/api/d-missing?x=1&access_token=zz',
     http_status => 401, event => 'denied', reason => 'missing',
     status => 401);

my $good = mint(%alice, jti => 'j-good', roles => 'reader');
my $bad = $good;
my $at = length($bad) - 20;
substr($bad, $at, 1) = substr($bad, $at, 1) eq 'A' ? 'B' : 'A';
remember($bad);
case('denied bad signature', '/api/d-badsig', ticket => $bad,
     http_status => 401, event => 'denied', reason => 'bad_signature',
     status => 401, verified => 0, %alice, jti => 'j-good', kid => 'k1',
     roles => ['reader']);
# the same forged ticket again: a hit on its failed entry, whose
# fingerprint the first record left there
case('denied bad signature again', '/api/d-badsig2', ticket => $bad,
     http_status => 401, event => 'denied', reason => 'bad_signature',
     status => 401, verified => 0, %alice, jti => 'j-good', kid => 'k1',
     roles => ['reader']);

my $expired = mint(%alice, jti => 'j-exp', roles => 'reader',
                   iat => $now - 7200, exp => $now - 3600);
# time is checked before the signature (no public-key work for an expired
# ticket): verified is false, the identity what the ticket claimed
case('denied expired', '/api/d-expired', ticket => $expired,
     http_status => 401, event => 'denied', reason => 'expired',
     status => 401, verified => 0, %alice, jti => 'j-exp', kid => 'k1',
     roles => ['reader']);

# over_privilege
my $writer = mint(sub => 'bob', kind => 'user', jti => 'j-writer',
                  roles => 'writer');
case('over_privilege insufficient_role', '/reader/o-role', ticket => $writer,
     http_status => 403, event => 'over_privilege',
     reason => 'insufficient_role', status => 403, verified => 1,
     sub => 'bob', kind => 'user', jti => 'j-writer', kid => 'k1',
     roles => ['writer'], required => ['kind:user', 'role:reader'],
     unmet => 'role:reader');

case('over_privilege wrong_kind', '/svc/o-kind', ticket => $writer,
     http_status => 403, event => 'over_privilege', reason => 'wrong_kind',
     status => 403, verified => 1, sub => 'bob', kind => 'user',
     jti => 'j-writer', kid => 'k1', roles => ['writer'],
     required => ['kind:service'], unmet => 'kind:service');

my @REQ = ('kind:user', 'aud:a|b', 'role:x|y', 'role:z',
           'claim:dept=sales|eng');
my $wrong_aud = mint(sub => 'carol', kind => 'user', jti => 'j-aud',
                     roles => 'x,z', aud => 'c',
                     claim => ['dept="sales"']);
case('over_privilege wrong_audience', '/req/o-aud', ticket => $wrong_aud,
     http_status => 403, event => 'over_privilege',
     reason => 'wrong_audience', status => 403, verified => 1,
     sub => 'carol', kind => 'user', jti => 'j-aud', kid => 'k1',
     roles => ['x', 'z'], required => \@REQ, unmet => 'aud:a|b');

my $wrong_claim = mint(sub => 'carol', kind => 'user', jti => 'j-claim',
                       roles => 'y,z', aud => ['b', 'c'],
                       claim => ['dept="hr"']);
case('over_privilege claim_mismatch', '/req/o-claim', ticket => $wrong_claim,
     http_status => 403, event => 'over_privilege',
     reason => 'claim_mismatch', status => 403, verified => 1,
     sub => 'carol', kind => 'user', jti => 'j-claim', kid => 'k1',
     roles => ['y', 'z'], required => \@REQ,
     unmet => 'claim:dept=sales|eng');

my $req_ok = mint(sub => 'carol', kind => 'user', jti => 'j-reqok',
                  roles => 'y,z', aud => 'a', claim => ['dept="eng"']);
case('all requirements met: no record', '/req/ok', ticket => $req_ok,
     http_status => 200, none => 1);

# excess_privilege
my $admin = mint(sub => 'root', kind => 'user', jti => 'j-admin',
                 roles => 'admin,reader');
case('excess_privilege', '/reader/x-excess', ticket => $admin,
     http_status => 200, event => 'excess_privilege',
     reason => 'excess_privilege', status => 200, verified => 1,
     sub => 'root', kind => 'user', jti => 'j-admin', kid => 'k1',
     roles => ['admin', 'reader'], required => ['kind:user', 'role:reader']);
case('privileged role required: no record', '/admin/x-required',
     ticket => $admin, http_status => 200, none => 1);

# allowed: only where ticket_audit_events names it
case('allowed, default events: no record', '/api/a-default', ticket => $good,
     http_status => 200, none => 1);
case('allowed logged', '/ops/a-logged?secret=1', ticket => $good,
     http_status => 200, event => 'allowed', reason => 'ok', status => 200,
     verified => 1, %alice, jti => 'j-good', kid => 'k1',
     roles => ['reader']);
case('allowed, backend 404', '/ops/missing', ticket => $good,
     http_status => 404, event => 'allowed', reason => 'ok', status => 404,
     verified => 1, %alice, jti => 'j-good', kid => 'k1',
     roles => ['reader']);
# the same ticket twice: the second presentation may be served from the
# verified-ticket cache, and its record must say just as much
my $fresh = mint(%alice, jti => 'j-fresh', roles => 'reader');
for my $n ('first', 'again') {
    case("same ticket, $n presentation", "/ops/c-$n", ticket => $fresh,
         http_status => 200, event => 'allowed', reason => 'ok',
         status => 200, verified => 1, %alice, jti => 'j-fresh',
         kid => 'k1', roles => ['reader']);
}
case('one record: excess beats allowed', '/ops/x-excess', ticket => $admin,
     http_status => 200, event => 'excess_privilege',
     reason => 'excess_privilege', status => 200, verified => 1,
     sub => 'root', kind => 'user', jti => 'j-admin', kid => 'k1',
     roles => ['admin', 'reader']);
case('denied on an allowed-logging location', '/ops/d-missing',
     http_status => 401, event => 'denied', reason => 'missing',
     status => 401);

# ticket_mode audit
case('audit mode: missing', '/dry/m-missing', http_status => 200,
     event => 'denied', reason => 'missing', status => 200, enforced => 0,
     required => ['kind:user', 'role:admin']);
case('audit mode: insufficient_role', '/dry/m-role', ticket => $good,
     http_status => 200, event => 'over_privilege',
     reason => 'insufficient_role', status => 200, enforced => 0,
     verified => 1, %alice, jti => 'j-good', kid => 'k1',
     roles => ['reader'], required => ['kind:user', 'role:admin']);
case('audit mode: admin holds what is required: no record', '/dry/m-ok',
     ticket => $admin, http_status => 200, none => 1);

# error_page: the status sent, the uri asked for
case('error_page 401 =418', '/err/e-page?q=1', http_status => 418,
     event => 'denied', reason => 'missing', status => 418);

# roles as one space-separated string
my $sp = hs('{"alg":"HS256","kid":"hs1"}',
            $json->encode({ sub => 'dave', kind => 'user', jti => 'j-sp',
                            iat => $now, exp => $now + 600,
                            roles => 'w1 w2' }));
case('roles as a string', '/reader/o-string', ticket => $sp,
     http_status => 403, event => 'over_privilege',
     reason => 'insufficient_role', status => 403, verified => 1,
     sub => 'dave', kind => 'user', jti => 'j-sp', kid => 'hs1',
     roles => ['w1', 'w2'], required => ['kind:user', 'role:reader']);

# ---- escaping attacks ----------------------------------------------------

my $forge = qq{\n{"event":"allowed","sub":"x"}\n};
my $ctl = join '', map { chr } 1 .. 31;
my %evil = (
    sub    => qq{a"b\\c$forge$ctl\x7f end \x{e9}\x{263a}},
    tenant => qq{t"\\$forge\x01\x1f\x7f},
    jti    => qq{j"\\\r\n\t\x08\x0c$forge},
    iss    => qq{i\\"},
    sid    => qq{s$ctl},
);
my @evil_roles = (qq{r"1}, qq{r\\2}, $forge, "\x01\x7f", qq{\\"\\u0000});
my $evil_claims = $json->encode({ %evil, kind => 'user', iat => $now,
                                  exp => $now + 600,
                                  roles => \@evil_roles });
my $HS = '{"alg":"HS256","kid":"hs1"}';
my $evil_ok = hs($HS, $evil_claims);
my $evil_bad = hs($HS, $evil_claims, 'not the secret');
my %evil_exp = (%evil, kind => 'user', kid => 'hs1',
                roles => \@evil_roles);

case('evil claims: over_privilege', '/admin/evil-op', ticket => $evil_ok,
     http_status => 403, event => 'over_privilege',
     reason => 'insufficient_role', status => 403, verified => 1,
     %evil_exp, required => ['kind:user', 'role:admin']);
case('evil claims: denied, unverified', '/api/evil-denied',
     ticket => $evil_bad, http_status => 401, event => 'denied',
     reason => 'bad_signature', status => 401, verified => 0, %evil_exp);
case('evil claims: allowed', '/ops/evil-allowed', ticket => $evil_ok,
     http_status => 200, event => 'allowed', reason => 'ok', status => 200,
     verified => 1, %evil_exp);

my $evil_kid = qq{k"\\$forge\x01\x7f};
my $kid_tk = hs($json->encode({ alg => 'HS256', kid => $evil_kid }),
                $json->encode({ sub => 'eve', kind => 'user', jti => 'j-kid',
                                iat => $now, exp => $now + 600 }));
case('evil kid: unknown_key', '/api/evil-kid', ticket => $kid_tk,
     http_status => 401, event => 'denied', reason => 'unknown_key',
     status => 401, verified => 0, sub => 'eve', kind => 'user',
     jti => 'j-kid', kid => $evil_kid);

# request data: invalid UTF-8, quotes and control bytes in Host and path
# (nginx 1.29.4 validates Host as RFC 3986 does and answers 400 before any
# module runs: there such bytes can come in the path only)
my $raw_path = qq{/api/r\xff"%ff\xc3\x28\xe9};
my $bad_host = $t->nginx_version < 1029004;
case('invalid UTF-8 and quotes in path' . ($bad_host ? ' and Host' : ''),
     $raw_path,
     raw => "GET $raw_path?q=\xff HTTP/1.1\r\n"
          . 'Host: ' . ($bad_host ? qq{ev"il\xfe\xff.example} : 'localhost')
          . "\r\nConnection: close\r\n\r\n",
     http_status => 401, event => 'denied', reason => 'missing',
     status => 401,
     host => $bad_host ? qq{ev"il\x{fffd}\x{fffd}.example} : 'localhost',
     uri => qq{/api/r\x{fffd}"%ff\x{fffd}(\x{fffd}});

my $bs_path = qq{/api/c"\\"};
case('quotes and backslash in path', $bs_path,
     raw => "GET $bs_path HTTP/1.1\r\nHost: localhost\r\n"
          . "Connection: close\r\n\r\n",
     http_status => 401, event => 'denied', reason => 'missing',
     status => 401, uri => qq{/api/c"\\"});

# nginx itself refuses control bytes and DEL in the request line and Host
# (400 before any ticket check): no record, and no broken line either
for my $b ("\x01", "\x1f", "\x7f") {
    my $p = "/api/ctl$b";
    case(sprintf('raw 0x%02x in path: 400, no record', ord $b), $p,
         raw => "GET $p HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n\r\n",
         http_status => 400, none => 1);
}

# ---- all records written, then checked -----------------------------------

my $expected = 1 + grep { defined $_->[2] } @cases;
ok(wait_lines('logs/audit.jsonl', $expected, 5),
   "all $expected records reached the file");

my @recs = records('logs/audit.jsonl');
is(scalar @recs, $expected, 'one record per recorded request, no more');

my (%by_uri, %rid);
my $all_valid = 1;
for my $x (@recs) {
    if (!$x->{rec}) {
        $all_valid = 0;
        diag('not one JSON record: ' . ($x->{bad} // "$x->{err} in $x->{raw}"));
        next;
    }
    push @{$by_uri{$x->{rec}{uri} // ''}}, $x;
    $rid{$x->{rec}{request_id} // ''}++;
}
ok($all_valid, 'every line is valid UTF-8 and one JSON object');
ok(!grep({ $_ > 1 } values %rid), 'request_ids are unique');

my %t_log = map { (split / /)[0] => $_ } split /\n/, $t->read_file('logs/t.log');

sub check_record {
    my ($name, $x, $exp) = @_;
    my $rec = $x->{rec};
    my @m = members($x->{raw});
    is_deeply([map { $_->[0] } @m], \@ORDER, "$name: members and order");
    my %raw = map { @$_ } @m;
    like($raw{status} // '', qr/^[1-5]\d\d$/, "$name: status is a number");
    like($raw{enforced} // '', qr/^(true|false)$/,
         "$name: enforced is a boolean");
    like($raw{verified} // '', qr/^(true|false)$/,
         "$name: verified is a boolean");
    like($rec->{time} // '',
         qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "$name: time format");
    if (($rec->{time} // '') =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)/) {
        require Time::Local;
        my $ts = Time::Local::timegm($6, $5, $4, $3, $2 - 1, $1);
        ok($ts >= int($now) - 5 && $ts <= time + 5, "$name: time is now")
            or diag("record time $rec->{time}");
    } else {
        fail("$name: time is now");
    }
    like($rec->{request_id} // '', qr/^[0-9a-f]{32}$/,
         "$name: request_id is 32 hex");
    my $line = $t_log{$rec->{request_id} // '-'};
    ok(defined $line, "$name: request_id is nginx's \$request_id");
    like($rec->{writer} // '', qr/^gw-test-\d+-\d+$/,
         "$name: writer is gateway-pid-start");
    like($raw{seq} // '', qr/^[1-9]\d*$/, "$name: seq is a number");
    my %got = %$rec;
    delete @got{qw(time request_id writer seq)};
    for my $b (qw(enforced verified)) {
        $got{$b} = JSON::PP::is_bool($got{$b}) ? ($got{$b} ? 1 : 0)
                                               : "not a boolean: $got{$b}";
    }
    is_deeply(\%got, $exp, "$name: member values")
        or diag("raw: $x->{raw}");
}

for my $c (@cases) {
    my ($name, $uri, $exp) = @$c;
    my $list = $by_uri{$uri} // [];
    if (!defined $exp) {
        is(scalar @$list, 0, "$name: no record");
        next;
    }
    is(scalar @$list, 1, "$name: exactly one record") or next;
    check_record($name, $list->[0], $exp);
}

# raw lines: no control byte, no DEL, no forged record
my $content = $t->read_file('logs/audit.jsonl');
ok($content !~ /[\x00-\x09\x0b-\x1f\x7f]/, 'no raw control byte or DEL');
my @forged = grep { $_->{rec} && ($_->{rec}{sub} // '') eq 'x' } @recs;
is(scalar @forged, 0, 'no forged record');
like($content, qr/\\u007f/, 'DEL written as \\u007f');

# ---- the ticket is never logged ------------------------------------------

sub no_secret_in_logs {
    my ($what) = @_;
    my @hits;
    for my $f (glob $t->dir . '/logs/*') {
        next unless -f $f;
        my $c = $t->read_file($f);
        for my $s (@secrets) {
            push @hits, "$f: " . substr($s, 0, 40) if index($c, $s) >= 0;
        }
    }
    ok(!@hits, "$what: no ticket nor signature in any file of logs/")
        or diag(join "\n", @hits);
}

# ---- USR1 reopen ---------------------------------------------------------

my $t2 = TicketTest->new;
$t2->write_file('hs.secret', "$secret\n");
$t2->start(<<'EOF');
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /p/ {
            ticket user;
            ticket_key hs1 HS256 %%DIR%%/hs.secret;
        }
    }
EOF

sub denied_batch {
    my ($tag, $n) = @_;
    my $ok = 0;
    for my $i (1 .. $n) {
        $ok++ if $t2->get("/p/$tag-$i")->{status} == 401;
    }
    return $ok;
}

is(denied_batch('a', 5), 5, 'usr1: 5 denied before the rename');
my $d2 = $t2->dir;
ok(wait_lines("$d2/logs/audit.jsonl", 5, 5), 'usr1: first 5 on disk');
rename "$d2/logs/audit.jsonl", "$d2/logs/audit.jsonl.1" or die "rename: $!";
is(denied_batch('b', 5), 5, 'usr1: 5 denied after the rename');

my $reopen_before = $t2->reopened;
kill 'USR1', $t2->{pid};
$t2->wait_reopened($reopen_before, 2);     # master and the worker
is($t2->reopened, $reopen_before + 2, 'usr1: master and worker reopened');
ok(-e "$d2/logs/audit.jsonl", 'usr1: a new file at the configured path');

is(denied_batch('c', 7), 7, 'usr1: 7 denied after USR1');
ok(wait_lines("$d2/logs/audit.jsonl", 7, 5), 'usr1: new records in new file');

# buffered records are written at exit: stop at once, no waiting
is(denied_batch('d', 3), 3, 'exit: 3 denied just before stopping');
$t2->stop;

my @old = map { $_->{rec} ? $_->{rec}{uri} : 'BAD' }
          records("$d2/logs/audit.jsonl.1");
my @new = map { $_->{rec} ? $_->{rec}{uri} : 'BAD' }
          records("$d2/logs/audit.jsonl");
is_deeply([sort @old], [sort(map("/p/a-$_", 1 .. 5), map("/p/b-$_", 1 .. 5))],
          'usr1: the renamed file holds every record before USR1');
is_deeply([sort @new], [sort(map("/p/c-$_", 1 .. 7), map("/p/d-$_", 1 .. 3))],
          'usr1: the new file holds every record after USR1, '
          . 'the last ones flushed at exit');

# seq across the reopen: no gap, no repeat, and a gap is named
my ($crc, $cout) = $t2->ticketctl('audit', '--check', "$d2/logs/audit.jsonl.1",
                                  "$d2/logs/audit.jsonl");
is($crc, 0, 'usr1: --check exit 0');
like($cout, qr/^complete: 20 records, 1 writers$/m,
     'usr1: --check says complete over both files');
($crc, $cout) = $t2->ticketctl('audit', '--check', "$d2/logs/audit.jsonl");
is($crc, 1, 'usr1: --check on the new file alone: exit 1');
like($cout, qr/^writer \S+: seq 1-10 missing$/m,
     'usr1: --check names the gap');

$t2->done;

$t->stop;
no_secret_in_logs('after stop');
$t->done;
done_testing();
