@echo off
REM Gatehouse: IIS 7.5+ set-up exported from <test>.
REM Run as Administrator. Linux paths are placed under C:\inetpub\gatehouse.
REM 
REM Security identifiers:
REM   IUSR                           S-1-5-17
REM   IIS_IUSRS                      S-1-5-32-568
REM   IIS AppPool\shop               S-1-5-82-634253208-2346237047-1867043872-2360698316-99401469
REM   IIS AppPool\blog               S-1-5-82-2734256158-3485737692-275298378-1529073857-2789248872
setlocal
set APPCMD=%windir%\system32\inetsrv\appcmd.exe

REM Application pools
%APPCMD% add apppool /name:"shop" /managedRuntimeVersion:""
%APPCMD% set apppool /apppool.name:"shop" /processModel.identityType:ApplicationPoolIdentity
%APPCMD% add apppool /name:"blog" /managedRuntimeVersion:""
%APPCMD% set apppool /apppool.name:"blog" /processModel.identityType:ApplicationPoolIdentity

REM FastCGI applications, one per pool (php-cgi with the pool's php.ini)
%APPCMD% set config -section:system.webServer/fastCgi /+"[fullPath='C:\PHP\php-cgi.exe',arguments='-c C:\inetpub\gatehouse\srv\shop\php.ini',maxInstances='4',instanceMaxRequests='10000',idleTimeout='300',activityTimeout='70',requestTimeout='90',queueLength='1000',rapidFailsPerMinute='10',stderrMode='ReturnStdErrIn500',signalBeforeTerminateSeconds='0',monitorChangesTo='C:\inetpub\gatehouse\srv\shop\php.ini']" /commit:apphost
REM pool shop: copy /srv/shop/php.ini to C:\inetpub\gatehouse\srv\shop\php.ini and TRANSLATE the Linux paths in it:
REM   error_log = /srv/shop/logs/php_errors.log  ->  C:\inetpub\gatehouse\srv\shop\logs\php_errors.log
%APPCMD% set config -section:system.webServer/fastCgi /+"[fullPath='C:\PHP\php-cgi.exe',arguments='-c C:\inetpub\gatehouse\srv\shop\php.ini'].environmentVariables.[name='PHP_FCGI_MAX_REQUESTS',value='10000']" /commit:apphost
%APPCMD% set config -section:system.webServer/fastCgi /+"[fullPath='C:\PHP\php-cgi.exe',arguments='-c C:\inetpub\gatehouse\srv\blog\php.ini',maxInstances='4',instanceMaxRequests='200',idleTimeout='300',activityTimeout='70',requestTimeout='90',queueLength='1000',rapidFailsPerMinute='10',stderrMode='ReturnStdErrIn500',signalBeforeTerminateSeconds='0']" /commit:apphost
REM pool blog: copy /srv/blog/php.ini to C:\inetpub\gatehouse\srv\blog\php.ini and TRANSLATE the Linux paths in it:
REM   upload_tmp_dir = /srv/blog/tmp  ->  C:\inetpub\gatehouse\srv\blog\tmp
REM   session.save_path = /srv/blog/sessions  ->  C:\inetpub\gatehouse\srv\blog\sessions
REM   include_path /usr/share/php  ->  C:\inetpub\gatehouse\usr\share\php
REM   include_path /srv/blog/lib  ->  C:\inetpub\gatehouse\srv\blog\lib
%APPCMD% set config -section:system.webServer/fastCgi /+"[fullPath='C:\PHP\php-cgi.exe',arguments='-c C:\inetpub\gatehouse\srv\blog\php.ini'].environmentVariables.[name='PHP_FCGI_MAX_REQUESTS',value='200']" /commit:apphost

REM Site shop
%APPCMD% add site /name:"shop" /physicalPath:"C:\inetpub\gatehouse\srv\shop\public" /bindings:"http/127.0.0.1:8081:shop.localhost,http/127.0.0.1:8081:www.shop.localhost"
%APPCMD% set config "shop" -section:system.webServer/defaultDocument /enabled:true /~"files" /commit:apphost
%APPCMD% set config "shop" -section:system.webServer/defaultDocument /+"files.[value='index.php']" /commit:apphost
%APPCMD% set config "shop" -section:system.webServer/defaultDocument /+"files.[value='index.html']" /commit:apphost
%APPCMD% set config "shop" -section:system.webServer/defaultDocument /+"files.[value='index.htm']" /commit:apphost
%APPCMD% set config "shop" -section:system.webServer/defaultDocument /+"files.[value='default.htm']" /commit:apphost
%APPCMD% set app "shop/" /applicationPool:"shop"
%APPCMD% set config "shop" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:true /userName:"IUSR" /commit:apphost
%APPCMD% set config "shop" -section:system.webServer/handlers /+"[name='PHP-shop',path='*.php',verb='GET,HEAD,POST',modules='FastCgiModule',scriptProcessor='C:\PHP\php-cgi.exe|-c C:\inetpub\gatehouse\srv\shop\php.ini',resourceType='File',requireAccess='Script']" /commit:apphost
%APPCMD% add app /site.name:"shop" /path:"/blog" /physicalPath:"C:\inetpub\gatehouse\srv\blog\public" /applicationPool:"blog"
%APPCMD% set config "shop/blog" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:true /userName:"IUSR" /commit:apphost
%APPCMD% set config "shop/blog" -section:system.webServer/handlers /-"[name='PHP-shop']" /commit:apphost
%APPCMD% set config "shop/blog" -section:system.webServer/handlers /+"[name='PHP-blog',path='*.php',verb='GET,HEAD,POST',modules='FastCgiModule',scriptProcessor='C:\PHP\php-cgi.exe|-c C:\inetpub\gatehouse\srv\blog\php.ini',resourceType='File',requireAccess='Script']" /commit:apphost
%APPCMD% add vdir /app.name:"shop/" /path:"/media" /physicalPath:"C:\inetpub\gatehouse\srv\media"

REM Permissions: the plan of `gatehouse perms plan`, as icacls
if not exist "C:\inetpub\gatehouse\srv\" mkdir "C:\inetpub\gatehouse\srv"
if not exist "C:\inetpub\gatehouse\srv\blog\" mkdir "C:\inetpub\gatehouse\srv\blog"
if not exist "C:\inetpub\gatehouse\srv\blog\public\" mkdir "C:\inetpub\gatehouse\srv\blog\public"
if not exist "C:\inetpub\gatehouse\srv\blog\sessions\" mkdir "C:\inetpub\gatehouse\srv\blog\sessions"
if not exist "C:\inetpub\gatehouse\srv\blog\tmp\" mkdir "C:\inetpub\gatehouse\srv\blog\tmp"
if not exist "C:\inetpub\gatehouse\srv\media\" mkdir "C:\inetpub\gatehouse\srv\media"
if not exist "C:\inetpub\gatehouse\srv\shop\" mkdir "C:\inetpub\gatehouse\srv\shop"
if not exist "C:\inetpub\gatehouse\srv\shop\data\" mkdir "C:\inetpub\gatehouse\srv\shop\data"
if not exist "C:\inetpub\gatehouse\srv\shop\logs\" mkdir "C:\inetpub\gatehouse\srv\shop\logs"
if not exist "C:\inetpub\gatehouse\srv\shop\public\" mkdir "C:\inetpub\gatehouse\srv\shop\public"
if not exist "C:\inetpub\gatehouse\usr\" mkdir "C:\inetpub\gatehouse\usr"
if not exist "C:\inetpub\gatehouse\usr\share\" mkdir "C:\inetpub\gatehouse\usr\share"
if not exist "C:\inetpub\gatehouse\usr\share\php\" mkdir "C:\inetpub\gatehouse\usr\share\php"
if not exist "C:\inetpub\gatehouse\var\" mkdir "C:\inetpub\gatehouse\var"
if not exist "C:\inetpub\gatehouse\var\lib\" mkdir "C:\inetpub\gatehouse\var\lib"
if not exist "C:\inetpub\gatehouse\var\lib\gatehouse\" mkdir "C:\inetpub\gatehouse\var\lib\gatehouse"
if not exist "C:\inetpub\gatehouse\var\lib\gatehouse\pools\" mkdir "C:\inetpub\gatehouse\var\lib\gatehouse\pools"
if not exist "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\" mkdir "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop"
if not exist "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\sessions\" mkdir "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\sessions"
if not exist "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\uploads\" mkdir "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\uploads"
REM closed to everyone else: application root of site shop application /blog
icacls "C:\inetpub\gatehouse\srv\blog" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F"
REM closed to everyone else: virtual directory /media of site shop
icacls "C:\inetpub\gatehouse\srv\media" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F"
REM closed to everyone else: application root of site shop
icacls "C:\inetpub\gatehouse\srv\shop" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F"
REM closed to everyone else: per-pool session.save_path proposed for pool shop
icacls "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\sessions" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F"
REM closed to everyone else: per-pool upload_tmp_dir proposed for pool shop
icacls "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\uploads" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F"
REM traverse to reach /srv/shop/public
icacls "C:\inetpub\gatehouse\srv" /grant "IUSR:RX"
REM traverse to reach /srv/blog
icacls "C:\inetpub\gatehouse\srv" /grant "IIS AppPool\blog:RX"
REM traverse to reach /srv/shop
icacls "C:\inetpub\gatehouse\srv" /grant "IIS AppPool\shop:RX"
REM traverse to reach /srv/blog/public
icacls "C:\inetpub\gatehouse\srv\blog" /grant "IUSR:RX"
REM application root of site shop application /blog, pool blog
icacls "C:\inetpub\gatehouse\srv\blog" /grant "IIS AppPool\blog:(OI)(CI)RX"
REM public root of site shop application /blog (anonymous user)
icacls "C:\inetpub\gatehouse\srv\blog\public" /grant "IUSR:(OI)(CI)RX"
icacls "C:\inetpub\gatehouse\srv\blog\public" /deny "IUSR:(OI)(CI)W"
REM session.save_path in /srv/blog/php.ini
icacls "C:\inetpub\gatehouse\srv\blog\sessions" /grant "IIS AppPool\blog:(OI)(CI)M"
REM upload_tmp_dir in /srv/blog/php.ini
icacls "C:\inetpub\gatehouse\srv\blog\tmp" /grant "IIS AppPool\blog:(OI)(CI)M"
REM public root of virtual directory /media of site shop (anonymous user)
icacls "C:\inetpub\gatehouse\srv\media" /grant "IUSR:(OI)(CI)RX"
icacls "C:\inetpub\gatehouse\srv\media" /deny "IUSR:(OI)(CI)W"
REM virtual directory /media of site shop, served by pool shop
icacls "C:\inetpub\gatehouse\srv\media" /grant "IIS AppPool\shop:(OI)(CI)RX"
REM traverse to reach /srv/shop/public
icacls "C:\inetpub\gatehouse\srv\shop" /grant "IUSR:RX"
REM application root of site shop, pool shop
icacls "C:\inetpub\gatehouse\srv\shop" /grant "IIS AppPool\shop:(OI)(CI)RX"
REM writable folder of site shop
icacls "C:\inetpub\gatehouse\srv\shop\data" /grant "IIS AppPool\shop:(OI)(CI)M"
REM folder of error_log in /srv/shop/php.ini
icacls "C:\inetpub\gatehouse\srv\shop\logs" /grant "IIS AppPool\shop:(OI)M"
REM public root of site shop (anonymous user)
icacls "C:\inetpub\gatehouse\srv\shop\public" /grant "IUSR:(OI)(CI)RX"
icacls "C:\inetpub\gatehouse\srv\shop\public" /deny "IUSR:(OI)(CI)W"
REM traverse to reach /usr/share/php
icacls "C:\inetpub\gatehouse\usr" /grant "IIS AppPool\blog:RX"
REM traverse to reach /usr/share/php
icacls "C:\inetpub\gatehouse\usr\share" /grant "IIS AppPool\blog:RX"
REM include_path in /srv/blog/php.ini
icacls "C:\inetpub\gatehouse\usr\share\php" /grant "IIS AppPool\blog:(OI)(CI)RX"
REM traverse to reach /var/lib/gatehouse/pools/shop/uploads
icacls "C:\inetpub\gatehouse\var" /grant "IIS AppPool\shop:RX"
REM traverse to reach /var/lib/gatehouse/pools/shop/uploads
icacls "C:\inetpub\gatehouse\var\lib" /grant "IIS AppPool\shop:RX"
REM traverse to reach /var/lib/gatehouse/pools/shop/uploads
icacls "C:\inetpub\gatehouse\var\lib\gatehouse" /grant "IIS AppPool\shop:RX"
REM traverse to reach /var/lib/gatehouse/pools/shop/uploads
icacls "C:\inetpub\gatehouse\var\lib\gatehouse\pools" /grant "IIS AppPool\shop:RX"
REM traverse to reach /var/lib/gatehouse/pools/shop/uploads
icacls "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop" /grant "IIS AppPool\shop:RX"
REM per-pool session.save_path proposed for pool shop
icacls "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\sessions" /grant "IIS AppPool\shop:(OI)(CI)M"
REM per-pool upload_tmp_dir proposed for pool shop
icacls "C:\inetpub\gatehouse\var\lib\gatehouse\pools\shop\uploads" /grant "IIS AppPool\shop:(OI)(CI)M"
endlocal
